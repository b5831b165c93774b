// Outgoing payments: reserve (amount + fee reserve) → one or more attempts through the
// `lightning` queue → settle (actual fee, release the rest) or void. An invoice of our own
// node is paid inside the ledger. An unknown outcome is never refunded: the payment stays
// pending until the node says succeeded or failed (workers/lightning/reconcile.ts).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { isUniqueViolation, type Sql, type Tx } from '../db.ts';
import { distinctOrThrow, GroupCommit, groupCommitPer, oneInFlight } from '../group-commit.ts';
import { InsufficientBalanceError, ledgerErrorOf, post, type Db } from '../ledger/ledger.ts';
import { QueueTimeoutError, toWire } from '../queue.ts';
import { Bolt11Error, decodeBolt11, type Bolt11 } from '../lightning/bolt11.ts';
import { publishCommitted } from './dispatch.ts';
import { PaymentError, parseRequest } from './errors.ts';
import { checkAmount, defaultFeeReserve } from './limits.ts';
import { findByKey, getTransaction, recordTransactionEvents, toTransaction, type Transaction, type TransactionRow } from './transactions.ts';

/**
 * A check inside the database transaction that reserves payments, for budgets and limits (e.g.
 * the wallet-connect service's per-app budget). Reserves are written in batches: `check` runs
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
  | { status: 'succeeded'; transactionId: string; paymentHash: string; amountMsat: bigint; feeMsat: bigint; preimage: string }
  | { status: 'failed'; transactionId: string; paymentHash: string; amountMsat: bigint; reason: string; message?: string }
  | { status: 'pending'; transactionId: string; paymentHash: string; amountMsat: bigint };

const common = {
  accountId: z.uuid(),
  idempotencyKey: z.string().min(1).max(200),
  maxFeeMsat: z.bigint().min(0n).optional(),
  /** How long to wait for the outcome; 0 returns `pending` at once. */
  waitMs: z.number().int().min(0).max(600_000).optional(),
  memo: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
};
const payInvoiceRequest = z.object({ ...common, paymentRequest: z.string().min(1).max(7100), amountMsat: z.bigint().optional() });
const keysendRequest = z.object({
  ...common,
  destination: z.string().regex(/^0[23][0-9a-f]{64}$/, 'must be a compressed public key in hex'),
  amountMsat: z.bigint(),
  tlvRecords: z.record(z.string().regex(/^\d+$/), z.string().regex(/^([0-9a-f]{2})*$/)).optional(),
});

export type PayInvoiceRequest = z.input<typeof payInvoiceRequest> & {
  guard?: Guarded;
  /**
   * Our own invoice, issued for this payment alone (not handed out before): once paid inside the
   * ledger, leave the node's copy to expire instead of a cancel job per payment (paid from
   * outside all the same, it would be credited to its account like any invoice).
   */
  keepNodeInvoice?: boolean;
};
export type KeysendRequest = z.input<typeof keysendRequest> & { guard?: Guarded };

export function resultOf(t: Transaction): PaymentResult {
  const base = { transactionId: t.id, paymentHash: t.paymentHash!, amountMsat: t.amountMsat! };
  if (t.status === 'succeeded') return { status: 'succeeded', ...base, feeMsat: t.feeMsat, preimage: t.preimage! };
  if (t.status === 'failed') return { status: 'failed', ...base, reason: t.failureReason ?? 'error', message: t.failureMessage };
  return { status: 'pending', ...base };
}

function decode(paymentRequest: string): Bolt11 {
  try {
    return decodeBolt11(paymentRequest);
  } catch (err) {
    if (err instanceof Bolt11Error) throw new PaymentError('invalid_invoice', err.message);
    throw err;
  }
}

/** Checks an invoice before anything is reserved; returns the amount to pay. */
function validateInvoice(ctx: Context, invoice: Bolt11, amountMsat?: bigint): bigint {
  if (invoice.network !== ctx.config.NETWORK) throw new PaymentError('wrong_network', `the invoice is for ${invoice.network}, this service runs on ${ctx.config.NETWORK}`);
  if (invoice.expiresAt.getTime() <= Date.now()) throw new PaymentError('expired', 'the invoice has expired');
  if (invoice.amountMsat !== undefined && amountMsat !== undefined && amountMsat !== invoice.amountMsat) {
    throw new PaymentError('amount_mismatch', `the invoice asks for ${invoice.amountMsat} msat, not ${amountMsat}`);
  }
  const amount = invoice.amountMsat ?? amountMsat;
  if (amount === undefined) throw new PaymentError('amount_required', 'the invoice has no amount: give one');
  checkAmount(ctx.config, amount);
  return amount;
}

// The payment path's writes, group-committed (migrations/0017_payment_sets.sql): whatever
// arrives while a batch is in flight leaves together, up to 50, as one statement and one
// commit; a batch that fails (an overdraft, a reused key) is retried item by item, so each
// item gets its own outcome. A payment passes three of these stages (and the node's).

interface Lookup { account: string; key: string; hash: string; request: string }

/**
 * The look before paying an invoice, for: this request before, this invoice paid by the
 * account before, our own invoice. Batched as the writes are (one statement for the payments
 * arriving together).
 */
const lookupsOf = groupCommitPer((sql: Sql) => new GroupCommit<Lookup, TransactionRow[]>(async (items) => {
  const rows = await sql<Array<TransactionRow & { n: bigint }>>`
    select i.n, t.* from rows from (jsonb_to_recordset(${sql.json(items as never)}) as (account uuid, key text, hash text, request text))
        with ordinality as i (account, key, hash, request, n)
      join transactions t on (t.account_id = i.account and t.idempotency_key = i.key)
        or (t.account_id = i.account and t.direction = 'outgoing' and t.payment_hash = i.hash and t.status <> 'failed')
        or (t.direction = 'incoming' and t.kind = 'lightning' and t.payment_request = i.request)`;
  return items.map((_, i) => rows.filter((r) => r.n === BigInt(i + 1)));
}, oneInFlight));

/** Pays a BOLT 11 invoice. Repeating a request (same key, or same invoice) returns the first result. */
export async function payInvoice(ctx: Context, req: PayInvoiceRequest): Promise<PaymentResult> {
  const { guard, keepNodeInvoice, ...rest } = req;
  const r = parseRequest(payInvoiceRequest, rest);
  const invoice = decode(r.paymentRequest);
  const rows = await lookupsOf(ctx.sql).submit({ account: r.accountId, key: r.idempotencyKey, hash: invoice.paymentHash, request: invoice.paymentRequest });
  const earlier = rows.find((t) => t.account_id === r.accountId && t.idempotency_key === r.idempotencyKey)
    ?? rows.find((t) => t.account_id === r.accountId && t.direction === 'outgoing');
  if (earlier) return awaitOutcome(ctx, toTransaction(earlier), r.waitMs);
  const amountMsat = validateInvoice(ctx, invoice, r.amountMsat);
  const own = rows.find((t) => t.direction === 'incoming');
  if (own) return payInternal(ctx, r, own, amountMsat, guard, keepNodeInvoice);
  const t = await reserve(ctx, {
    account_id: r.accountId, kind: 'lightning', idempotency_key: r.idempotencyKey, amount_msat: amountMsat,
    fee_reserve_msat: r.maxFeeMsat ?? defaultFeeReserve(ctx.config, amountMsat), payment_hash: invoice.paymentHash,
    payment_request: invoice.paymentRequest, destination: invoice.destination, description: invoice.description ?? null,
    description_hash: invoice.descriptionHash ?? null, memo: r.memo ?? null, metadata: r.metadata ?? null, expires_at: invoice.expiresAt,
  }, guard);
  return awaitOutcome(ctx, t, r.waitMs);
}

/** Spontaneous payment to a node; the preimage is ours, so a retry pays the same hash. */
export async function payKeysend(ctx: Context, req: KeysendRequest): Promise<PaymentResult> {
  const { guard, ...rest } = req;
  const r = parseRequest(keysendRequest, rest);
  const existing = await findByKey(ctx.sql, r.accountId, r.idempotencyKey);
  if (existing) return awaitOutcome(ctx, existing, r.waitMs);
  checkAmount(ctx.config, r.amountMsat);
  const preimage = randomBytes(32);
  const t = await reserve(ctx, {
    account_id: r.accountId, kind: 'keysend', idempotency_key: r.idempotencyKey, amount_msat: r.amountMsat,
    fee_reserve_msat: r.maxFeeMsat ?? defaultFeeReserve(ctx.config, r.amountMsat), payment_hash: bytesToHex(sha256(preimage)),
    preimage: bytesToHex(preimage), destination: r.destination, memo: r.memo ?? null,
    metadata: r.tlvRecords || r.metadata ? { ...r.metadata, ...(r.tlvRecords && { tlvRecords: r.tlvRecords }) } : null,
  }, guard);
  return awaitOutcome(ctx, t, r.waitMs);
}

type NewPayment = Record<string, string | bigint | Date | Record<string, unknown> | null> & { account_id: string; idempotency_key: string; payment_hash: string };

interface Reserve { row: NewPayment; guarded?: Guarded }

/**
 * Reserves (payment_reserves: the rows, then their journals; rows in item order). A batch
 * with guarded payments is one transaction: the reserves, then each guard on its payments.
 */
const reservesOf = groupCommitPer((sql: Sql) => new GroupCommit<Reserve, TransactionRow>(async (items) => {
  const write = (db: Db) => db<TransactionRow[]>`select * from payment_reserves(${db.json(toWire(items.map((i) => i.row)) as never)})`;
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
 * Writes the payment and its reserve, atomically, in one batch with the reserves arriving at
 * the same time; maps duplicates to the first payment.
 */
async function reserve(ctx: Context, row: NewPayment, guarded?: Guarded): Promise<Transaction> {
  try {
    return toTransaction(await reservesOf(ctx.sql).submit({ row: { ...row, id: randomUUID() }, guarded }));
  } catch (err) {
    return mapReserveError(ctx, ledgerErrorOf(err), row);
  }
}

async function mapReserveError(ctx: Context, err: unknown, row: { account_id: string; idempotency_key: string; payment_hash: string }): Promise<Transaction> {
  if (err instanceof InsufficientBalanceError) throw new PaymentError('insufficient_balance', 'insufficient balance for the amount and fee reserve');
  const e = err as { code?: string };
  if (e.code === '23503') throw new PaymentError('not_found', 'no such account');
  if (!isUniqueViolation(err)) throw err;
  if (isUniqueViolation(err, 'transactions_account_id_idempotency_key_key')) return (await findByKey(ctx.sql, row.account_id, row.idempotency_key))!;
  if (isUniqueViolation(err, 'transactions_paying_account')) {
    const [first] = await ctx.sql<TransactionRow[]>`select * from transactions
      where account_id = ${row.account_id} and direction = 'outgoing' and payment_hash = ${row.payment_hash} and status <> 'failed'`;
    if (first) return toTransaction(first);
  }
  throw new PaymentError('already_paid', 'this invoice is being paid or was paid already');
}

/** Our own node's invoice: a transfer inside the ledger, no Lightning. */
async function payInternal(ctx: Context, r: z.infer<typeof payInvoiceRequest>, invoiceRow: TransactionRow, amountMsat: bigint, guarded?: Guarded, keepNodeInvoice = false): Promise<PaymentResult> {
  if (invoiceRow.account_id === r.accountId) throw new PaymentError('self_payment', 'this is your own invoice');
  if (invoiceRow.is_hold) throw new PaymentError('not_supported', 'hold invoices of this service cannot be paid from inside it');
  let t: Transaction;
  try {
    t = await ctx.sql.begin(async (tx) => {
      const [inv] = await tx<TransactionRow[]>`select * from transactions where id = ${invoiceRow.id} for update`;
      if (inv!.status !== 'open') throw new PaymentError('already_paid', `the invoice is ${inv!.status === 'succeeded' ? 'paid already' : inv!.status}`);
      if (inv!.expires_at && inv!.expires_at.getTime() <= Date.now()) throw new PaymentError('expired', 'the invoice has expired');
      const [payer] = await tx<TransactionRow[]>`
        insert into transactions (account_id, direction, kind, status, idempotency_key, amount_msat, payment_hash, preimage,
          payment_request, description, description_hash, memo, metadata, counterparty_account_id, settled_at)
        values (${r.accountId}, 'outgoing', 'internal', 'succeeded', ${r.idempotencyKey}, ${amountMsat}, ${inv!.payment_hash},
          ${inv!.preimage}, ${inv!.payment_request}, ${inv!.description}, ${inv!.description_hash}, ${r.memo ?? null},
          ${r.metadata ? tx.json(r.metadata as never) : null}, ${inv!.account_id}, now())
        returning *`;
      const [paid] = await tx<TransactionRow[]>`
        update transactions set status = 'succeeded', amount_msat = ${amountMsat}, settled_at = now(), counterparty_account_id = ${r.accountId}
        where id = ${inv!.id} returning *`;
      const sent = toTransaction(payer!);
      await recordTransactionEvents(tx, ['payment.sent', sent], ['payment.received', toTransaction(paid!)]);
      // The ledger last: it locks the payer's balance row until commit, and one payer's
      // payments (a business batch) wait for each other there.
      await post(tx, {
        idempotencyKey: `internal:${inv!.payment_hash}`, kind: 'payment.internal', ref: payer!.id,
        postings: [{ accountId: r.accountId, amountMsat: -amountMsat }, { accountId: inv!.account_id, amountMsat }],
      });
      // The guard after the ledger, as in a batch of reserves: balance rows, then what the
      // guard locks (a wallet connection), so the two paths never wait for each other in turn.
      if (guarded) await checkOne(tx, payer!, guarded);
      return sent;
    });
  } catch (err) {
    if (err instanceof PaymentError) throw err;
    t = await mapReserveError(ctx, err, { account_id: r.accountId, idempotency_key: r.idempotencyKey, payment_hash: invoiceRow.payment_hash! });
    return resultOf(t);
  }
  void publishCommitted(ctx);
  if (keepNodeInvoice) return resultOf(t);
  // The node's copy must not be paid again from outside; best effort, it expires anyway.
  await ctx.bus.enqueue('lightning.cancelInvoice', { paymentHash: t.paymentHash! }, { id: `cancel:${invoiceRow.id}` })
    .catch((err: unknown) => ctx.log.warn({ err }, 'could not cancel an invoice paid internally'));
  return resultOf(t);
}

/** Hands a pending payment to the workers and waits up to waitMs for its outcome. */
async function awaitOutcome(ctx: Context, t: Transaction, waitMs = 0): Promise<PaymentResult> {
  if (t.direction !== 'outgoing') throw new PaymentError('invalid_request', 'this idempotency key was used for something else');
  if (t.status !== 'pending') return resultOf(t);
  try {
    if (waitMs > 0) {
      const r = await ctx.bus.call('lightning.pay', { transactionId: t.id }, { id: t.id, timeoutMs: waitMs });
      // A final outcome is final for good: no need to read the row again.
      if (r.status === 'succeeded' && r.preimage && r.feeMsat !== undefined) return resultOf({ ...t, status: 'succeeded', preimage: r.preimage, feeMsat: r.feeMsat });
      if (r.status === 'failed') return resultOf({ ...t, status: 'failed', failureReason: r.reason, failureMessage: r.message });
    } else {
      await ctx.bus.enqueue('lightning.pay', { transactionId: t.id }, { id: t.id });
    }
  } catch (err) {
    // Unknown, not failed: the reserve stays and reconciliation finishes the payment.
    if (!(err instanceof QueueTimeoutError)) ctx.log.warn({ err, transactionId: t.id }, 'payment job not confirmed; reconciliation will finish it');
  }
  return resultOf((await getTransaction(ctx.sql, t.id))!);
}

export async function lookupPayment(db: Db, q: { accountId: string; paymentHash: string }): Promise<Transaction | undefined> {
  const [row] = await db<TransactionRow[]>`
    select * from transactions where account_id = ${q.accountId} and direction = 'outgoing' and payment_hash = ${q.paymentHash}
    order by seq desc limit 1`;
  return row && toTransaction(row);
}

// ——— used by the workers ———

/** Attempt starts (one UPDATE a batch); an id twice in a batch runs alone, each its own number. */
const attemptsOf = groupCommitPer((sql: Sql) => new GroupCommit<string, TransactionRow | undefined>(async (ids) => {
  distinctOrThrow(ids);
  const rows = await sql<TransactionRow[]>`
    update transactions set attempts = attempts + 1
    where id in (select id from transactions where id = any(${sql.array(ids)}::uuid[]) and status = 'pending' order by id for update)
    returning *`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id));
}, oneInFlight));

/** Begins a backend attempt; undefined when the payment is no longer pending. */
export async function startAttempt(sql: Sql, transactionId: string): Promise<{ transaction: Transaction; attempt: number } | undefined> {
  const row = await attemptsOf(sql).submit(transactionId);
  return row && { transaction: toTransaction(row), attempt: row.attempts };
}

export type PaymentOutcome =
  | { status: 'succeeded'; preimage: string; feeMsat: bigint }
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
 * finishes arriving at the same time: payment_finishes (migrations/0017) locks the rows,
 * updates them, posts the journals and records the events. A failure voids only if no later
 * attempt has started meanwhile: that attempt may yet succeed.
 */
export async function finishPayment(ctx: Context, transactionId: string, attempt: number, outcome: PaymentOutcome): Promise<Transaction> {
  const ok = outcome.status === 'succeeded';
  const row = await finishesOf(ctx.sql).submit({
    id: transactionId, attempt, succeeded: ok, preimage: ok ? outcome.preimage : null, fee: ok ? outcome.feeMsat.toString() : null,
    reason: ok ? null : outcome.reason, message: ok ? null : (outcome.message ?? null),
  });
  void publishCommitted(ctx);
  return toTransaction(row);
}

/** Outgoing payments still pending after `olderThanSeconds`, oldest first. */
export async function pendingPayments(db: Db, olderThanSeconds: number, limit = 1000): Promise<Transaction[]> {
  const rows = await db<TransactionRow[]>`
    select * from transactions where status = 'pending' and created_at <= now() - make_interval(secs => ${olderThanSeconds})
    order by created_at limit ${limit}`;
  return rows.map(toTransaction);
}

