// The anomaly rules as data (RISK_RULES): their schema and defaults, apart from their
// evaluation (rules.ts) so that configuration loads them without the rest of the service.
import { z } from 'zod';

const rule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('velocity'), minutes: z.number().int().min(1).max(1440), count: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('destinations'), minutes: z.number().int().min(1).max(1440), count: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('failures'), minutes: z.number().int().min(1).max(1440), count: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('drain'), minutes: z.number().int().min(1).max(1440), share: z.number().gt(0).max(1), accountAgeHours: z.number().min(0) }),
  z.strictObject({ kind: z.literal('outsized'), factor: z.number().gt(1), history: z.number().int().min(1) }),
]).and(z.object({ name: z.string().regex(/^[a-z0-9_-]{1,40}$/), action: z.enum(['alert', 'freeze']) }));
export type Rule = z.infer<typeof rule>;
export const rulesSchema = z.array(rule).max(50);

export const defaultRules: Rule[] = [
  { name: 'velocity', kind: 'velocity', minutes: 10, count: 60, action: 'alert' },
  { name: 'destinations', kind: 'destinations', minutes: 60, count: 30, action: 'alert' },
  { name: 'failures', kind: 'failures', minutes: 10, count: 10, action: 'alert' },
  { name: 'drain', kind: 'drain', minutes: 60, share: 0.9, accountAgeHours: 24, action: 'alert' },
  { name: 'outsized', kind: 'outsized', factor: 20, history: 5, action: 'alert' },
];

/** RISK_RULES's text: a JSON array of rules, checked at start. */
export const rulesVariable = z.string().refine((v) => {
  try {
    return rulesSchema.safeParse(JSON.parse(v)).success;
  } catch {
    return false;
  }
}, 'must be a JSON array of rules: {"name", "kind": velocity|destinations|failures|drain|outsized, thresholds, "action": alert|freeze} (docs/risk.md)')
  .default(JSON.stringify(defaultRules));

