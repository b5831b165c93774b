// The rail-neutral engine of outgoing payments: reserve (amount + fee reserve, holder → the
// rail's pending account) → one or more attempts through the rail's attempt job → settle (actual
// fee, release the rest) or void. An unknown outcome is never refunded: the payment stays
// pending until the rail's backend says succeeded or failed (workers/<rail>/reconcile.ts).
//
// The writes are group-committed (migrations/0017_payment_sets.sql, 0018_rails.sql): whatever
// arrives while a batch is in flight leaves together, up to 50, as one statement and one
// commit; a batch that fails (an overdraft, a reused key) is retried item by item, so each item
// gets its own outcome.
import { randomUUID } from 'node:crypto';
import type { Context } from '../context.ts';
import { isUniqueViolation, type Sql, type Tx } from '../db.ts';
import { distinctOrThrow, GroupCommit, groupCommitPer, oneInFlight } from '../group-commit.ts';
import { InsufficientBalanceError, ledgerErrorOf, type Db } from '../ledger/ledger.ts';
import { QueueTimeoutError, toWire } from '../queue.ts';
import { checkArgument } from '../risk/limits.ts';
import { riskRefusalOf } from '../risk/refusals.ts';
import { publishCommitted } from './dispatch.ts';
import { accountHeld, HELD_SQLSTATE, keyConflict, PaymentError } from './errors.ts';
import type { Rail } from './rails.ts';
import { findByKey, getTransaction, toTransaction, type Transaction, type TransactionRow } from './transactions.ts';

/**
 * A check inside the database transaction that reserves payments, for budgets (e.g. the
 * wallet-connect service's per-app budget). The risk controls' limits are not a caller's guard:
 * every reserve runs them (payment_reserves_checked). Reserves are written in batches: `check` runs
 * once per batch, after the rows and their ledger reserves (for a transfer: the whole
 * transfer) are written, on the batch's payments it guards, each with the `data` it was given.
 * Throwing refuses the batch (nothing of it stays written); its payments are then tried one at
 * a time, so that each gets its own answer.
 */
export interface ReserveGuard<T> {
  // Method syntax: a guard of any data type fits where `Guarded` (of unknown data) is asked for.
  check(tx: Tx, payments: Array<{ payment: TransactionRow; data: T }>): Promise<void>;
}

/** A payment's guard and what the guard needs to know about it. */
export interface Guarded<T = unknown> {
  guard: ReserveGuard<T>;
  data: T;
}

/** Runs `guarded`'s guard on the one payment written by a transaction of its own. */
export const checkOne = <T>(tx: Tx, payment: TransactionRow, guarded: Guarded<T>): Promise<void> =>
  guarded.guard.check(tx, [{ payment, data: guarded.data }]);

export type PaymentResult =
  | { status: 'succeeded'; transactionId: string; paymentHash?: string; railRef?: string; amountMsat: bigint; feeMsat: bigint; preimage?: string }
  | { status: 'failed'; transactionId: string; paymentHash?: string; railRef?: string; amountMsat: bigint; reason: string; message?: string }
  | { status: 'pending'; transactionId: string; paymentHash?: string; railRef?: string; amountMsat: bigint };

export function resultOf(t: Transaction): PaymentResult {
  const base = { transactionId: t.id, paymentHash: t.paymentHash, railRef: t.railRef, amountMsat: t.amountMsat! };
  if (t.status === 'succeeded') return { status: 'succeeded', ...base, feeMsat: t.feeMsat, preimage: t.preimage };
  if (t.status === 'failed') return { status: 'failed', ...base, reason: t.failureReason ?? 'error', message: t.failureMessage };
  return { status: 'pending', ...base };
}

/** A new outgoing payment's row (the table's columns); `rail` and `id` are set by `reserve`. */
export type NewPayment = Record<string, string | bigint | Date | Record<string, unknown> | null | undefined> & {
  account_id: string; kind: string; idempotency_key: string; amount_msat: bigint; fee_reserve_msat: bigint; payment_hash?: string;
};

interface Reserve { row: NewPayment & { id: string; rail: string }; guarded?: Guarded }

/**
 * Reserves (payment_reserves: the rows, then their journals; rows in item order). A batch
 * with guarded payments is one transaction: the reserves, then each guard on its payments.
 */
const reservesOf = groupCommitPer(({ sql, config }: Context) => new GroupCommit<Reserve, TransactionRow>(async (items) => {
  // The risk controls' check runs in the same statement (core/risk, migrations/0030).
  const write = (db: Db) => db<TransactionRow[]>`
    select * from payment_reserves_checked(${db.json(toWire(items.map((i) => i.row)) as never)}, ${checkArgument(config)}::text::jsonb)`;
  if (!items.some((i) => i.guarded)) return write(sql);
  return sql.begin(async (tx) => {
    const rows = await write(tx);
    const byGuard = new Map<ReserveGuard<unknown>, Array<{ payment: TransactionRow; data: unknown }>>();
    items.forEach(({ guarded }, i) => {
      if (!guarded) return;
      let payments = byGuard.get(guarded.guard);
      if (!payments) byGuard.set(guarded.guard, payments = []);
      payments.push({ payment: rows[i]!, data: guarded.data });
    });
    for (const [guard, payments] of byGuard) await guard.check(tx, payments);
    return rows;
  });
}, oneInFlight));

/**
 * Writes the payment and its reserve on `rail`, atomically, in one batch with the reserves
 * arriving at the same time; maps duplicates to the first payment.
 */
export async function reserve(ctx: Context, rail: Rail, row: NewPayment, guarded?: Guarded): Promise<Transaction> {
  try {
    return toTransaction(await reservesOf(ctx).submit({ row: { ...row, id: randomUUID(), rail: rail.name }, guarded }));
  } catch (err) {
    return mapReserveError(ctx, ledgerErrorOf(err), row);
  }
}

/**
 * Reserves one payment inside the caller's transaction, for a saga whose first step writes more
 * beside the reserve (a melt's pending inputs): both commit or neither.
 */
export async function reserveIn(tx: Tx, rail: Rail, row: NewPayment): Promise<Transaction> {
  const [r] = await tx<TransactionRow[]>`select * from payment_reserves(${tx.json(toWire([{ ...row, id: randomUUID(), rail: rail.name }]) as never)})`;
  return toTransaction(r!);
}

/** The first payment a reserve collided with, or the error a caller should see. */
export async function mapReserveError(ctx: Context, err: unknown, row: { account_id: string; idempotency_key: string; payment_hash?: string | null }): Promise<Transaction> {
  if (err instanceof InsufficientBalanceError) throw new PaymentError('insufficient_balance', 'insufficient balance for the amount and fee reserve');
  const refused = riskRefusalOf(err);
  if (refused) throw refused;
  const e = err as { code?: string };
  if (e.code === '23503') throw new PaymentError('not_found', 'no such account');
  if (e.code === HELD_SQLSTATE) throw accountHeld();
  if (!isUniqueViolation(err)) throw err;
  if (isUniqueViolation(err, 'transactions_account_id_idempotency_key_key')) return (await findByKey(ctx.sql, row.account_id, row.idempotency_key))!;
  if (isUniqueViolation(err, 'transactions_paying_account') && row.payment_hash) {
    const [first] = await ctx.sql<TransactionRow[]>`select * from transactions
      where account_id = ${row.account_id} and direction = 'outgoing' and payment_hash = ${row.payment_hash} and status <> 'failed'`;
    if (first) return toTransaction(first);
  }
  throw new PaymentError('already_paid', 'this invoice is being paid or was paid already');
}

/** Hands a pending payment to its rail's workers and waits up to waitMs for its outcome. */
export async function awaitOutcome(ctx: Context, rail: Rail, t: Transaction, waitMs = 0): Promise<PaymentResult> {
  if (t.direction !== 'outgoing') throw keyConflict();
  if (t.status !== 'pending') return resultOf(t);
  try {
    if (waitMs > 0) {
      const r = await ctx.bus.call(rail.attemptJob, { transactionId: t.id }, { id: t.id, timeoutMs: waitMs });
      // A final outcome is final for good: no need to read the row again.
      if (r.status === 'succeeded' && r.feeMsat !== undefined) return resultOf({ ...t, status: 'succeeded', preimage: r.preimage ?? t.preimage, feeMsat: r.feeMsat });
      if (r.status === 'failed') return resultOf({ ...t, status: 'failed', failureReason: r.reason, failureMessage: r.message });
    } else {
      await ctx.bus.enqueue(rail.attemptJob, { transactionId: t.id }, { id: t.id });
    }
  } catch (err) {
    // Unknown, not failed: the reserve stays and reconciliation finishes the payment.
    if (!(err instanceof QueueTimeoutError)) ctx.log.warn({ err, transactionId: t.id }, 'payment job not confirmed; reconciliation will finish it');
  }
  return resultOf((await getTransaction(ctx.sql, t.id))!);
}

// ——— used by the workers ———

/** Attempt starts (one UPDATE a batch); an id twice in a batch runs alone, each its own number. */
const attemptsOf = groupCommitPer((sql: Sql) => new GroupCommit<AttemptStart, LeasedRow | undefined>(async (items) => {
  distinctOrThrow(items.map((i) => i.id));
  // The lease (migrations/0023): a row another attempt holds is not started again.
  const rows = await sql<LeasedRow[]>`
    update transactions t set attempts = t.attempts + 1, lease_until = now() + make_interval(secs => i.lease),
        send_started_at = case when i.sending then now() else t.send_started_at end
    from jsonb_to_recordset(${sql.json(items as never)}) as i (id uuid, lease int, sending boolean)
    where t.id = i.id and t.id in (select id from transactions where id = any(${sql.array(items.map((i) => i.id))}::uuid[])
      and status = 'pending' and (lease_until is null or lease_until <= now()) order by id for update)
    returning t.*`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return items.map((i) => byId.get(i.id));
}, oneInFlight));

interface AttemptStart { id: string; lease: number; sending: boolean }
type LeasedRow = TransactionRow & { send_started_at: Date | null };

/**
 * Begins a backend attempt with a lease on the payment for `leaseSeconds`; `sending` records
 * that it sends now. Undefined when the payment is no longer pending or another attempt holds
 * the lease. `sendStartedAt`: when the payment's latest send began.
 */
export async function startAttempt(sql: Sql, transactionId: string, opts: { leaseSeconds: number; sending: boolean }): Promise<{ transaction: Transaction; attempt: number; sendStartedAt?: Date } | undefined> {
  const row = await attemptsOf(sql).submit({ id: transactionId, lease: opts.leaseSeconds, sending: opts.sending });
  return row && { transaction: toTransaction(row), attempt: row.attempts, sendStartedAt: row.send_started_at ?? undefined };
}

export type PaymentOutcome =
  | { status: 'succeeded'; preimage?: string; feeMsat: bigint }
  | { status: 'failed'; reason: string; message?: string };

interface Finish { id: string; attempt: number; succeeded: boolean; preimage: string | null; fee: string | null; reason: string | null; message: string | null }

/** Settles and voids (payment_finishes); an id twice in a batch runs alone. */
const finishesOf = groupCommitPer((sql: Sql) => new GroupCommit<Finish, TransactionRow>(async (items) => {
  distinctOrThrow(items.map((i) => i.id));
  const rows = await sql<TransactionRow[]>`select * from payment_finishes(${sql.json(items as never)})`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return items.map((i) => byId.get(i.id)!);
}, oneInFlight));

/**
 * Settles or voids a pending payment, once (both share one journal key), batched with the
 * finishes arriving at the same time: payment_finishes locks the rows, updates them, posts the
 * journals on the payment's rail's accounts and records the events. A failure voids only if no
 * later attempt has started meanwhile: that attempt may yet succeed.
 */
export async function finishPayment(ctx: Context, transactionId: string, attempt: number, outcome: PaymentOutcome): Promise<Transaction> {
  const ok = outcome.status === 'succeeded';
  const row = await finishesOf(ctx.sql).submit({
    id: transactionId, attempt, succeeded: ok, preimage: ok ? (outcome.preimage ?? null) : null, fee: ok ? outcome.feeMsat.toString() : null,
    reason: ok ? null : outcome.reason, message: ok ? null : (outcome.message ?? null),
  });
  void publishCommitted(ctx);
  return toTransaction(row);
}

/** The rail's outgoing payments still pending after `olderThanSeconds`, oldest first. */
export async function pendingPayments(db: Db, rail: Rail, olderThanSeconds: number, limit = 1000): Promise<Transaction[]> {
  const rows = await db<TransactionRow[]>`
    select * from transactions where status = 'pending' and created_at <= now() - make_interval(secs => ${olderThanSeconds})
      and rail = ${rail.name} and direction = 'outgoing'
    order by created_at limit ${limit}`;
  return rows.map(toTransaction);
}
