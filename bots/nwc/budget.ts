// Per-connection spending budgets. A budget renews on calendar periods in UTC (a day from
// 00:00, a week from Monday 00:00, a month from the 1st, a year from 1 January); `never`
// counts everything ever spent. What counts: every payment requested through the connection
// in the period (by the time of its request) that succeeded (amount + fee) or is still
// pending (amount + the whole fee reserve). The check runs in the database transaction that
// reserves the funds, under a row lock on the connection, so racing requests never exceed it.
import type { Tx } from '../../core/db.ts';
import type { Db } from '../../core/ledger/ledger.ts';
import type { BeforeReserve } from '../../core/payments/pay.ts';
import { Nip47Error } from './nip47.ts';

export const renewalPeriods = ['daily', 'weekly', 'monthly', 'yearly', 'never'] as const;
export type Renewal = (typeof renewalPeriods)[number];

/** Start of the renewal period that contains `now` (undefined for `never`: all time). */
export function periodStart(renewal: Renewal, now: Date): Date | undefined {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (renewal) {
    case 'daily': return new Date(Date.UTC(y, m, d));
    case 'weekly': return new Date(Date.UTC(y, m, d - ((now.getUTCDay() + 6) % 7)));
    case 'monthly': return new Date(Date.UTC(y, m, 1));
    case 'yearly': return new Date(Date.UTC(y, 0, 1));
    case 'never': return undefined;
  }
}

/** When the budget of the period containing `now` renews (undefined for `never`). */
export function renewsAt(renewal: Renewal, now: Date): Date | undefined {
  const start = periodStart(renewal, now);
  if (!start) return undefined;
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  const d = start.getUTCDate();
  switch (renewal) {
    case 'daily': return new Date(Date.UTC(y, m, d + 1));
    case 'weekly': return new Date(Date.UTC(y, m, d + 7));
    case 'monthly': return new Date(Date.UTC(y, m + 1, 1));
    default: return new Date(Date.UTC(y + 1, 0, 1));
  }
}

/** Spent through the connection since `since` (all time when undefined), in msat. */
export async function usedBudget(db: Db, connectionId: string, since: Date | undefined): Promise<bigint> {
  const [row] = await db<{ used: bigint }[]>`
    select coalesce(sum(case t.status when 'succeeded' then t.amount_msat + t.fee_msat else t.amount_msat + t.fee_reserve_msat end), 0)::int8 as used
    from nwc_requests r join transactions t on t.id = r.transaction_id
    where r.connection_id = ${connectionId} and r.transaction_id is not null
      ${since ? db`and r.created_at >= ${since}` : db``}
      and t.status in ('pending', 'succeeded')`;
  return row!.used;
}

interface ConnectionRow { budget_msat: bigint | null; budget_renewal: Renewal; expires_at: Date | null; revoked_at: Date | null }

/**
 * The payment engine's beforeReserve hook for one request: locks the connection, refuses a
 * revoked or expired one, links the new payment to the request, and refuses when the payment
 * would take the period's spending over the budget. The lock serialises the connection's
 * payments; it is `no key update`, so that recording its next requests (whose foreign key
 * takes a key-share lock on it) does not wait for them.
 */
export function budgetHook(q: { connectionId: string; walletAccountId: string; eventId: string; idempotencyKey: string }): BeforeReserve {
  return async (tx: Tx) => {
    // One round trip: the lock and the link (undone with everything else if a check below fails).
    const [c] = await tx<Array<ConnectionRow & { linked: boolean }>>`
      with c as (select budget_msat, budget_renewal, expires_at, revoked_at from nwc_connections where id = ${q.connectionId} for no key update),
      linked as (
        update nwc_requests set transaction_id = t.id from transactions t
        where nwc_requests.event_id = ${q.eventId} and t.account_id = ${q.walletAccountId} and t.idempotency_key = ${q.idempotencyKey}
        returning t.id)
      select c.*, exists (select 1 from linked) as linked from c`;
    if (!c || c.revoked_at) throw new Nip47Error('UNAUTHORIZED', 'this connection was revoked');
    if (c.expires_at && c.expires_at.getTime() <= Date.now()) throw new Nip47Error('UNAUTHORIZED', 'this connection has expired');
    if (!c.linked) throw new Nip47Error('INTERNAL', 'the payment could not be linked to its request');
    if (c.budget_msat === null) return;
    // The new payment is linked already, so it is part of the sum.
    const used = await usedBudget(tx, q.connectionId, periodStart(c.budget_renewal, new Date()));
    if (used > c.budget_msat) {
      throw new Nip47Error('QUOTA_EXCEEDED', `this payment would exceed the connection's budget (${c.budget_msat / 1000n} sat ${c.budget_renewal === 'never' ? 'in total' : c.budget_renewal})`);
    }
  };
}
