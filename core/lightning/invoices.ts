// Incoming payments: invoices issued for an account (through the workers), hold invoices,
// and crediting an invoice exactly once when the node reports it settled.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { Sql } from '../db.ts';
import * as accounts from '../ledger/accounts.ts';
import { systemAccounts } from '../ledger/accounts.ts';
import { post } from '../ledger/ledger.ts';
import { hex32 } from '../hex.ts';
import type { Jobs } from '../jobs.ts';
import { QueueTimeoutError } from '../queue.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import { PaymentError, parseRequest } from '../payments/errors.ts';
import { checkAmount } from '../payments/limits.ts';
import { findByKey, getTransaction, recordTransactionEvents, toTransaction, type Transaction, type TransactionRow } from '../payments/transactions.ts';

const CALL_MS = 10_000;

/**
 * Calls a lightning job and maps queue failures to `unavailable` (retry with the same key). The
 * node's or database's own text goes to the log only: these messages reach anonymous callers.
 */
async function callLightning<K extends keyof Jobs & string>(ctx: Context, name: K, payload: z.input<Jobs[K]['payload']>, id: string): Promise<z.infer<Jobs[K]['result']>> {
  try {
    return await ctx.bus.call(name, payload, { id, timeoutMs: CALL_MS });
  } catch (err) {
    if (err instanceof QueueTimeoutError) throw new PaymentError('unavailable', 'the Lightning node did not answer in time; retry with the same idempotency key');
    ctx.log.error({ err, job: name }, 'lightning call failed');
    throw new PaymentError('unavailable', 'the Lightning node could not do this now; retry later with the same idempotency key');
  }
}


const createInvoiceRequest = z.object({
  accountId: z.uuid(),
  idempotencyKey: z.string().min(1).max(200),
  amountMsat: z.bigint().optional(),
  description: z.string().max(639).optional(),
  descriptionHash: hex32.optional(),
  expirySeconds: z.number().int().min(1).max(365 * 24 * 3600).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
}).refine((r) => !(r.description !== undefined && r.descriptionHash), 'give a description or its hash, not both');

export type CreateInvoiceRequest = z.input<typeof createInvoiceRequest>;
export type CreateHoldInvoiceRequest = CreateInvoiceRequest & { paymentHash: string };

async function issue(ctx: Context, req: CreateInvoiceRequest, paymentHash?: string): Promise<Transaction> {
  const r = parseRequest(createInvoiceRequest, req);
  if (r.amountMsat !== undefined) checkAmount(ctx.config, r.amountMsat);
  const existing = await findByKey(ctx.sql, r.accountId, r.idempotencyKey);
  if (existing) return existing;
  if (!(await accounts.get(ctx.sql, r.accountId))) throw new PaymentError('not_found', 'no such account');
  const { transactionId } = await callLightning(ctx, 'lightning.createInvoice', {
    ...r, paymentHash, expirySeconds: r.expirySeconds ?? ctx.config.INVOICE_EXPIRY_SECONDS,
  }, `${r.accountId}:${r.idempotencyKey}`);
  return (await getTransaction(ctx.sql, transactionId))!;
}

/** Issues an invoice for the account (amountless when amountMsat is absent). Idempotent on the key. */
export function createInvoice(ctx: Context, req: CreateInvoiceRequest): Promise<Transaction> {
  return issue(ctx, req);
}

/** An invoice whose payment is held (status `accepted`) until settleHoldInvoice or cancelHoldInvoice. */
export async function createHoldInvoice(ctx: Context, req: CreateHoldInvoiceRequest): Promise<Transaction> {
  const paymentHash = parseRequest(hex32, req.paymentHash);
  const [taken] = await ctx.sql`select 1 from transactions where direction = 'incoming' and kind = 'lightning' and payment_hash = ${paymentHash}`;
  if (taken && !(await findByKey(ctx.sql, req.accountId, req.idempotencyKey))) throw new PaymentError('invalid_request', 'an invoice with this payment hash exists');
  return issue(ctx, req, paymentHash);
}

export async function lookupInvoice(db: Sql, q: { accountId?: string; paymentHash: string }): Promise<Transaction | undefined> {
  const [row] = await db<TransactionRow[]>`
    select * from transactions where direction = 'incoming' and kind = 'lightning' and payment_hash = ${q.paymentHash}
    ${q.accountId ? db`and account_id = ${q.accountId}` : db``}`;
  return row && toTransaction(row);
}

async function ownHoldInvoice(ctx: Context, accountId: string, paymentHash: string): Promise<Transaction> {
  const t = await lookupInvoice(ctx.sql, { accountId, paymentHash });
  if (!t?.isHold) throw new PaymentError('not_found', 'no such hold invoice');
  return t;
}

/** Releases the preimage: the held payment completes and the account is credited. */
export async function settleHoldInvoice(ctx: Context, req: { accountId: string; preimage: string }): Promise<Transaction> {
  const preimage = parseRequest(hex32, req.preimage);
  const t = await ownHoldInvoice(ctx, req.accountId, bytesToHex(sha256(hexToBytes(preimage))));
  if (t.status === 'succeeded') return t;
  if (t.status !== 'accepted') throw new PaymentError('invalid_request', `the invoice is ${t.status}, not accepted`);
  await callLightning(ctx, 'lightning.settleHoldInvoice', { preimage }, `settle:${t.id}`);
  return (await getTransaction(ctx.sql, t.id))!;
}

/** Refuses the held payment (the payer gets it back); works on open ones too. */
export async function cancelHoldInvoice(ctx: Context, req: { accountId: string; paymentHash: string }): Promise<Transaction> {
  const t = await ownHoldInvoice(ctx, req.accountId, parseRequest(hex32, req.paymentHash));
  if (t.status === 'canceled') return t;
  if (t.status === 'succeeded') throw new PaymentError('invalid_request', 'the invoice is already settled');
  await callLightning(ctx, 'lightning.cancelInvoice', { paymentHash: t.paymentHash! }, `cancel:${t.id}`);
  return (await getTransaction(ctx.sql, t.id))!;
}

/** What the workers record once the node has issued an invoice. */
export interface IssuedInvoice {
  paymentHash: string;
  paymentRequest: string;
  amountMsat?: bigint;
  preimage?: string;
  description?: string;
  descriptionHash?: string;
  expiresAt: Date;
  isHold: boolean;
}

export async function recordInvoice(db: Sql, owner: { accountId: string; idempotencyKey: string; metadata?: Record<string, unknown> }, inv: IssuedInvoice): Promise<Transaction> {
  const [row] = await db<TransactionRow[]>`
    insert into transactions (account_id, direction, kind, rail, status, idempotency_key, amount_msat, payment_hash, preimage,
      payment_request, description, description_hash, metadata, is_hold, expires_at)
    values (${owner.accountId}, 'incoming', 'lightning', 'lightning', 'open', ${owner.idempotencyKey}, ${inv.amountMsat ?? null}, ${inv.paymentHash},
      ${inv.preimage ?? null}, ${inv.paymentRequest.toLowerCase()}, ${inv.description ?? null}, ${inv.descriptionHash ?? null},
      ${owner.metadata ? db.json(owner.metadata as never) : null}, ${inv.isHold}, ${inv.expiresAt})
    on conflict (account_id, idempotency_key) do nothing returning *`;
  return row ? toTransaction(row) : (await findByKey(db, owner.accountId, owner.idempotencyKey))!;
}

/**
 * Credits the account of a settled invoice, once: the journal key is the payment hash, and
 * the event is recorded only with the journal that credits. Returns false for an unknown
 * invoice or one already credited.
 */
export async function creditInvoice(ctx: Context, s: { paymentHash: string; receivedMsat: bigint; preimage?: string; settledAt?: Date }): Promise<boolean> {
  const credited = await ctx.sql.begin(async (tx) => {
    const [row] = await tx<TransactionRow[]>`
      select * from transactions where direction = 'incoming' and kind = 'lightning' and payment_hash = ${s.paymentHash} for update`;
    if (!row || s.receivedMsat <= 0n) return false;
    const { created } = await post(tx, {
      idempotencyKey: `receive:${s.paymentHash}`, kind: 'payment.receive', ref: row.id,
      postings: [{ accountId: systemAccounts.lightning, amountMsat: -s.receivedMsat }, { accountId: row.account_id, amountMsat: s.receivedMsat }],
    });
    if (!created) return false;
    // Paid inside the service already and then again from outside: both payers' money counts.
    const [updated] = row.status === 'succeeded' ? [row] : await tx<TransactionRow[]>`
      update transactions set status = 'succeeded', amount_msat = ${s.receivedMsat}, preimage = coalesce(${s.preimage ?? null}, preimage),
        settled_at = ${s.settledAt ?? new Date()}
      where id = ${row.id} returning *`;
    await recordTransactionEvents(tx, ['payment.received', { ...toTransaction(updated!), amountMsat: s.receivedMsat }]);
    return true;
  });
  if (credited) void publishCommitted(ctx);
  return credited;
}

/** A hold invoice's payment has arrived and waits for settle or cancel. */
export async function markAccepted(ctx: Context, paymentHash: string, receivedMsat: bigint): Promise<void> {
  const changed = await ctx.sql.begin(async (tx) => {
    const [row] = await tx<TransactionRow[]>`
      update transactions set status = 'accepted', amount_msat = coalesce(amount_msat, ${receivedMsat})
      where direction = 'incoming' and kind = 'lightning' and payment_hash = ${paymentHash} and status = 'open' returning *`;
    if (row) await recordTransactionEvents(tx, ['hold_invoice.accepted', toTransaction(row)]);
    return Boolean(row);
  });
  if (changed) void publishCommitted(ctx);
}

export async function markCanceled(db: Sql, paymentHash: string): Promise<void> {
  await db`update transactions set status = 'canceled'
    where direction = 'incoming' and kind = 'lightning' and payment_hash = ${paymentHash} and status in ('open', 'accepted')`;
}
