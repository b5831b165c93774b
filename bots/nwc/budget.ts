// Per-connection spending budgets. A budget renews on calendar periods in UTC (a day from
// 00:00, a week from Monday 00:00, a month from the 1st, a year from 1 January); `never`
// counts everything ever spent. What counts: every payment requested through the connection
// in the period (by the time of its request) that succeeded (amount + fee) or is still
// pending (amount + the whole fee reserve). The check runs in the database transaction that
// reserves the funds, under a row lock on the connection, so racing requests never exceed it.
import type { Db } from '../../core/ledger/ledger.ts';
import type { ReserveGuard } from '../../core/payments/outgoing.ts';
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

/** Spent through each connection since its `since` (all time when undefined), in msat. */
export async function usedBudgets(db: Db, periods: Array<{ connectionId: string; since: Date | undefined }>): Promise<Map<string, bigint>> {
  const rows = await db<{ id: string; used: bigint }[]>`
    select p.id, coalesce(sum(case t.status when 'succeeded' then t.amount_msat + t.fee_msat else t.amount_msat + t.fee_reserve_msat end), 0)::int8 as used
    from unnest(${periods.map((p) => p.connectionId)}::uuid[], ${periods.map((p) => p.since?.toISOString() ?? null)}::timestamptz[]) as p (id, since)
      left join nwc_requests r on r.connection_id = p.id and r.transaction_id is not null and (p.since is null or r.created_at >= p.since)
      left join transactions t on t.id = r.transaction_id and t.status in ('pending', 'succeeded')
    group by p.id`;
  return new Map(rows.map((r) => [r.id, r.used]));
}

/** Spent through the connection since `since` (all time when undefined), in msat. */
export async function usedBudget(db: Db, connectionId: string, since: Date | undefined): Promise<bigint> {
  return (await usedBudgets(db, [{ connectionId, since }])).get(connectionId)!;
}

interface ConnectionRow { id: string; budget_msat: bigint | null; budget_renewal: Renewal; expires_at: Date | null; revoked_at: Date | null }

/** What the guard needs of a payment: the connection and the request it was made for. */
export interface BudgetedPayment { connectionId: string; eventId: string }

/**
 * The payment engine's reserve guard for wallet-connect payments, a batch at a time: locks
 * their connections (in id order), refuses a revoked or expired one, links each new payment
 * to its request, and refuses when the payments would take a connection's spending in the
 * period over its budget (the engine then retries the batch's payments one at a time, so each
 * gets its own answer). The lock serialises a connection's payments; it is `no key update`,
 * so that recording its next requests (whose foreign key takes a key-share lock on it) does
 * not wait for them.
 */
export const budgetGuard: ReserveGuard<BudgetedPayment> = {
  async check(tx, payments) {
    const ids = [...new Set(payments.map((p) => p.data.connectionId))];
    // One round trip: the locks and the links (undone with everything else if a check below fails).
    const connections = await tx<Array<ConnectionRow & { linked: bigint }>>`
      with c as (select id, budget_msat, budget_renewal, expires_at, revoked_at from nwc_connections where id = any(${ids}::uuid[]) order by id for no key update),
      linked as (
        update nwc_requests r set transaction_id = p.tid
        from unnest(${payments.map((p) => p.data.eventId)}::text[], ${payments.map((p) => p.payment.id)}::uuid[]) as p (event_id, tid)
        where r.event_id = p.event_id
        returning 1)
      select c.*, (select count(*) from linked) as linked from c`;
    if (connections.length < ids.length || connections.some((c) => c.revoked_at)) throw new Nip47Error('UNAUTHORIZED', 'this connection was revoked');
    if (connections.some((c) => c.expires_at && c.expires_at.getTime() <= Date.now())) throw new Nip47Error('UNAUTHORIZED', 'this connection has expired');
    if (Number(connections[0]?.linked ?? 0) !== payments.length) throw new Nip47Error('INTERNAL', 'the payment could not be linked to its request');
    const budgeted = connections.filter((c) => c.budget_msat !== null);
    if (!budgeted.length) return;
    // The new payments are linked already, so they are part of the sums.
    const now = new Date();
    const used = await usedBudgets(tx, budgeted.map((c) => ({ connectionId: c.id, since: periodStart(c.budget_renewal, now) })));
    const over = budgeted.find((c) => used.get(c.id)! > c.budget_msat!);
    if (over) {
      throw new Nip47Error('QUOTA_EXCEEDED', `this payment would exceed the connection's budget (${over.budget_msat! / 1000n} sat ${over.budget_renewal === 'never' ? 'in total' : over.budget_renewal})`);
    }
  },
};
