// What the risk check refuses, as a payment error every protocol already maps (one place per
// protocol: bots/dm/errors.ts, bots/nwc/service.ts, api/business/). risk_check (migrations/0030)
// raises SQLSTATE FR001 with the facts as JSON; riskRefusalOf turns that into a RiskRefusal.
import { PaymentError } from '../payments/errors.ts';

export type RiskCode = 'limit_exceeded' | 'account_frozen' | 'payments_paused';

export interface RefusalFacts {
  /** Which limit: one payment, the rolling 24 hours, the recipient's balance. */
  limit?: 'payment' | 'daily' | 'balance';
  rail?: string;
  limitMsat?: bigint;
  /** What may still be moved now (0 when nothing). */
  leftMsat?: bigint;
  /** When enough of the 24 h window frees up for this payment (none when it alone is over). */
  resetsAt?: Date;
  reason?: string;
}

const sat = (m: bigint) => `${m / 1000n} sat`;

export class RiskRefusal extends PaymentError {
  override name = 'RiskRefusal';
  readonly facts: RefusalFacts;
  constructor(code: RiskCode, facts: RefusalFacts) {
    super(code, describe(code, facts));
    this.facts = facts;
  }
}

function describe(code: RiskCode, f: RefusalFacts): string {
  if (code === 'account_frozen') return `this account is frozen and cannot send${f.reason ? ` (${f.reason})` : ''}`;
  if (code === 'payments_paused') return 'outgoing payments are paused by the operator; try again later';
  if (f.limit === 'payment') return `over the per-payment limit of ${sat(f.limitMsat!)}`;
  if (f.limit === 'balance') return `the recipient's balance would exceed its maximum of ${sat(f.limitMsat!)} (${sat(f.leftMsat!)} left)`;
  return `over the 24-hour ${f.rail} limit of ${sat(f.limitMsat!)}: ${sat(f.leftMsat!)} left${f.resetsAt ? `, more from ${f.resetsAt.toISOString()}` : ''}`;
}

interface Detail { code: RiskCode; limit?: RefusalFacts['limit']; rail?: string; limitMsat?: string; leftMsat?: string; resetsAt?: string | null; reason?: string | null }

/** The refusal a database error carries, if it is one. */
export function riskRefusalOf(err: unknown): RiskRefusal | undefined {
  const e = err as { code?: string; detail?: string };
  if (e?.code !== 'FR001' || !e.detail) return undefined;
  const d = JSON.parse(e.detail) as Detail;
  return new RiskRefusal(d.code, {
    limit: d.limit, rail: d.rail, reason: d.reason ?? undefined,
    limitMsat: d.limitMsat === undefined ? undefined : BigInt(d.limitMsat),
    leftMsat: d.leftMsat === undefined ? undefined : BigInt(d.leftMsat),
    resetsAt: d.resetsAt ? new Date(d.resetsAt) : undefined,
  });
}
