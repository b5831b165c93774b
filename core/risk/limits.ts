// Account levels and their limits. A level names, per rail and direction, the most an account
// may move in any 24 hours (`daily`, keyed `<rail>:<direction>`, `*:outgoing` for any rail not
// named; `internal` is the rail of moves inside the ledger), the largest single payment and the
// largest balance. A rail added later is covered by `*:outgoing` until configured by name.
// The check itself runs in the database, in the statement that reserves (migrations/0030).
import { z } from 'zod';
import type { Config } from '../config.ts';

const msat = z.union([z.string().regex(/^\d{1,18}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).transform((v) => BigInt(v));

export const limitsSchema = z.strictObject({
  maxPaymentMsat: msat.optional(),
  maxBalanceMsat: msat.optional(),
  daily: z.record(z.string().regex(/^([a-z][a-z0-9_]*|\*):(outgoing|incoming)$/, 'keys are <rail>:<direction>'), msat).optional(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const levelsSchema = z.record(z.string().regex(/^[0-9]$/, 'levels are 0-9'), limitsSchema);
export type Levels = z.infer<typeof levelsSchema>;

const sat = (n: number) => BigInt(n) * 1000n;

/** The defaults: 0 = new and unverified, 1 = known, 2 = trusted (no daily limits). */
export const defaultLevels = {
  0: { maxPaymentMsat: sat(100_000), maxBalanceMsat: sat(2_000_000), daily: { '*:outgoing': sat(500_000), 'internal:outgoing': sat(1_000_000) } },
  1: { maxPaymentMsat: sat(1_000_000), maxBalanceMsat: sat(20_000_000), daily: { '*:outgoing': sat(5_000_000), 'internal:outgoing': sat(10_000_000) } },
  2: { maxPaymentMsat: sat(10_000_000) },
} satisfies Levels;

const json = (v: Limits | Levels) => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** RISK_LEVELS's text: JSON of levels, checked at start. */
export const levelsVariable = z.string().refine((v) => {
  try {
    return levelsSchema.safeParse(JSON.parse(v)).success;
  } catch {
    return false;
  }
}, 'must be JSON: {"0": {"maxPaymentMsat": …, "maxBalanceMsat": …, "daily": {"lightning:outgoing": …, "*:outgoing": …}}, …}').default(json(defaultLevels));

export const levelsOf = (config: Pick<Config, 'RISK_LEVELS'>): Levels => levelsSchema.parse(JSON.parse(config.RISK_LEVELS));

const checkArgs = new WeakMap<object, string>();

/** The limits as risk_check reads them (computed once per configuration). */
export function checkArgument(config: Pick<Config, 'RISK_LEVELS' | 'RISK_DEFAULT_LEVEL'>): string {
  let v = checkArgs.get(config);
  if (!v) checkArgs.set(config, v = `{"default":${config.RISK_DEFAULT_LEVEL},"levels":${json(levelsOf(config))}}`);
  return v;
}

/** A level's limits with an account's overrides on top (daily limits merged by key). */
export function effectiveLimits(levels: Levels, level: number, overrides: Limits | null): Limits {
  const base = levels[String(level)] ?? {};
  return { ...base, ...overrides, daily: { ...base.daily, ...overrides?.daily } };
}

export const limitsJson = json;
