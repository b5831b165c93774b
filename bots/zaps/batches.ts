// Business zap batches: many recipients, one amount, each line paid at most once (its own
// idempotency key), run by a `zaps.batch` queue job that may repeat after a crash. A
// business's payments run at most `concurrency` at a time: one batch of a business at a
// time (a Redis lock), its lines `concurrency` at a time. The ledger refuses overspending.
import { createHash, randomUUID } from 'node:crypto';
import { finalizeEvent } from 'nostr-tools/pure';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { KeyError, parsePubkey } from '../../core/nostr/keys.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';
import { resultOf, type PaymentResult } from '../../core/payments/pay.ts';
import { eventSchema } from '../../core/nostr/event.ts';
import { signingKey, type Business } from './business.ts';
import { pointerOf } from './pointers.ts';
import { routeOf, sendZap, ZapError, zapDeps, zapFailureReason, type ZapDeps } from './send.ts';

const msat = z.union([z.number().int().positive(), z.string().regex(/^\d{1,18}$/)]).transform((v) => BigInt(v));

export const batchRequest = (max: number) => z.object({
  idempotencyKey: z.string().min(1).max(200),
  amountMsat: msat,
  comment: z.string().max(500).default(''),
  /** An event to zap (note1, nevent1, naddr1, or hex id) on behalf of every recipient. */
  event: z.string().max(1000).optional(),
  relays: z.array(z.string().regex(/^wss?:\/\/\S+$/)).max(20).default([]),
  recipients: z.array(z.union([
    z.string().max(400),
    z.object({ to: z.string().max(400), zapRequest: eventSchema.optional(), idempotencyKey: z.string().min(1).max(200).optional() }),
  ])).min(1).max(max),
});
export type BatchRequest = z.infer<ReturnType<typeof batchRequest>>;

export class BatchError extends Error {
  override name = 'BatchError';
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');

/**
 * Records a batch and enqueues its job. The same idempotency key with the same body is the
 * same batch (nothing is paid again); with another body it is refused.
 */
export async function submitBatch(ctx: Context, business: Business, req: BatchRequest): Promise<{ id: string; created: boolean }> {
  const requestHash = hashOf(req);
  const lines = req.recipients.map((r) => (typeof r === 'string' ? { to: r, zapRequest: undefined, idempotencyKey: undefined } : r))
    .map((r, i) => ({ line: i + 1, recipient: r.to.trim(), zapRequest: r.zapRequest ? JSON.stringify(r.zapRequest) : null, key: r.idempotencyKey ?? `${req.idempotencyKey}:${i + 1}` }));
  if (new Set(lines.map((l) => l.key)).size !== lines.length) throw new BatchError(400, 'line idempotency keys must be unique');
  if (!lines.every((l) => l.zapRequest) && !business.hasSigningKey) {
    throw new BatchError(400, 'pre-sign a zap request for every recipient, or register a signing key (PUT /api/v1/signing-key)');
  }
  const result = await ctx.sql.begin(async (tx) => {
    const [existing] = await tx<{ id: string; request_hash: string }[]>`
      select id, request_hash from zap_batches where business_id = ${business.accountId} and idempotency_key = ${req.idempotencyKey}`;
    if (existing) {
      if (existing.request_hash !== requestHash) throw new BatchError(409, 'this idempotency key was used for another batch');
      return { id: existing.id, created: false };
    }
    const total = req.amountMsat * BigInt(lines.length);
    const available = await balance(tx, business.accountId);
    if (total > available) throw new BatchError(402, `the batch needs ${total} msat plus fees; the balance is ${available} msat`);
    const id = randomUUID();
    await tx`insert into zap_batches (id, business_id, idempotency_key, request_hash, amount_msat, comment, event, relays)
      values (${id}, ${business.accountId}, ${req.idempotencyKey}, ${requestHash}, ${req.amountMsat}, ${req.comment}, ${req.event ?? null}, ${req.relays})`;
    for (let i = 0; i < lines.length; i += 1000) {
      await tx`insert into zap_batch_lines ${tx(lines.slice(i, i + 1000).map((l) => ({ batch_id: id, line: l.line, recipient: l.recipient, idempotency_key: l.key, zap_request: l.zapRequest })))}`;
    }
    return { id, created: true };
  });
  await ctx.bus.enqueue('zaps.batch', { batchId: result.id }, { id: result.id });
  return result;
}

interface LineRow {
  line: number; recipient: string; idempotency_key: string; zap_request: string | null; status: string;
  transaction_id: string | null; payment_hash: string | null;
}

type LineUpdate = { status: 'paid' | 'failed' | 'pending'; reason?: string; route?: string; recipientPubkey?: string; payment?: PaymentResult };

async function saveLine(ctx: Context, batchId: string, line: number, u: LineUpdate): Promise<void> {
  const p = u.payment;
  await ctx.sql`update zap_batch_lines set status = ${u.status}, reason = ${u.reason ?? null}, route = coalesce(${u.route ?? null}, route),
    recipient_pubkey = coalesce(${u.recipientPubkey ?? null}, recipient_pubkey), transaction_id = coalesce(${p?.transactionId ?? null}, transaction_id),
    payment_hash = coalesce(${p?.paymentHash ?? null}, payment_hash), preimage = ${p?.status === 'succeeded' ? p.preimage : null},
    fee_msat = ${p?.status === 'succeeded' ? p.feeMsat : null}, updated_at = now()
    where batch_id = ${batchId} and line = ${line}`;
}

const fromTransaction = (t: Transaction): LineUpdate => fromPayment(resultOf(t));

const fromPayment = (payment: PaymentResult): LineUpdate => payment.status === 'succeeded' ? { status: 'paid', payment }
  : payment.status === 'failed' ? { status: 'failed', reason: payment.reason, payment } : { status: 'pending', payment };

/** Recipient as written → route: npub/nprofile/hex, or name@domain (lightning address; NIP-05 gives its p). */
async function recipientRoute(ctx: Context, deps: ZapDeps, recipient: string) {
  if (recipient.includes('@')) return routeOf(ctx, deps, { address: recipient });
  try {
    return await routeOf(ctx, deps, { pubkey: parsePubkey(recipient) });
  } catch (err) {
    if (err instanceof KeyError) throw new ZapError('invalid_recipient', err.message);
    throw err;
  }
}

async function runLine(ctx: Context, deps: ZapDeps, batch: { id: string; amountMsat: bigint; comment: string; business: Business; sign?: Uint8Array; target: ReturnType<typeof pointerOf> | undefined; relays: string[] }, l: LineRow): Promise<LineUpdate> {
  if (l.transaction_id) {
    // Paid before (this job is a repeat): report the payment as it stands now.
    const t = await getTransaction(ctx.sql, l.transaction_id);
    if (t && t.status !== 'pending') return fromTransaction(t);
  }
  try {
    const route = await recipientRoute(ctx, deps, l.recipient);
    const sk = batch.sign;
    const outcome = await sendZap(ctx, deps, {
      payerAccountId: batch.business.accountId, idempotencyKey: `batch:${batch.id}:${l.idempotency_key}`, route,
      target: batch.target, amountMsat: batch.amountMsat, comment: batch.comment, relays: batch.relays,
      signed: l.zap_request ?? undefined, sign: sk && ((t) => finalizeEvent(t, sk)), memo: `zap batch ${batch.id} line ${l.line}`,
    });
    return { ...fromPayment(outcome.payment), route: route.route, recipientPubkey: route.pubkey };
  } catch (err) {
    const reason = zapFailureReason(err);
    if (reason === 'error' || reason === 'unavailable') throw err;
    return { status: 'failed', reason: `${reason}: ${(err as Error).message}`.slice(0, 300) };
  }
}

const LOCK_MS = 60_000;

/** Holds the business's batch lock while `run` runs (waiting for a running batch to finish). */
async function withBusinessLock<T>(ctx: Context, businessId: string, owner: string, run: () => Promise<T>): Promise<T> {
  const key = `${ctx.config.REDIS_PREFIX}:zaps:batch-lock:${businessId}`;
  while ((await ctx.redis.set(key, owner, 'PX', LOCK_MS, 'NX')) !== 'OK') {
    if ((await ctx.redis.get(key)) === owner) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const renew = setInterval(() => void ctx.redis.pexpire(key, LOCK_MS), LOCK_MS / 3);
  try {
    return await run();
  } finally {
    clearInterval(renew);
    if ((await ctx.redis.get(key)) === owner) await ctx.redis.del(key);
  }
}

/** The `zaps.batch` job: every open line, `concurrency` at a time. Safe to run again. */
export async function runBatch(ctx: Context, batchId: string, given?: ZapDeps): Promise<{ paid: number; failed: number; pending: number }> {
  const [b] = await ctx.sql<{ business_id: string; amount_msat: bigint; comment: string; event: string | null; relays: string[]; pubkey: string; name: string; concurrency: number; sealed_signing_key: string | null }[]>`
    select z.business_id, z.amount_msat, z.comment, z.event, z.relays, b.pubkey, b.name, b.concurrency, b.sealed_signing_key
    from zap_batches z join businesses b on b.account_id = z.business_id where z.id = ${batchId}`;
  if (!b) throw new Error(`no zap batch ${batchId}`);
  const business: Business = { accountId: b.business_id, pubkey: b.pubkey, name: b.name, concurrency: b.concurrency, hasSigningKey: b.sealed_signing_key !== null };
  const batch = {
    id: batchId, amountMsat: b.amount_msat, comment: b.comment, business, sign: await signingKey(ctx, business.accountId),
    target: b.event ? pointerOf(b.event) : undefined, relays: b.relays,
  };
  const deps = given ?? zapDeps(ctx);
  try {
    await withBusinessLock(ctx, business.accountId, batchId, async () => {
      const open = await ctx.sql<LineRow[]>`select line, recipient, idempotency_key, zap_request, status, transaction_id, payment_hash
        from zap_batch_lines where batch_id = ${batchId} and status in ('queued', 'pending') order by line`;
      let next = 0;
      const worker = async () => {
        while (next < open.length) {
          const l = open[next++]!;
          await saveLine(ctx, batchId, l.line, await runLine(ctx, deps, batch, l));
        }
      };
      await Promise.all(Array.from({ length: Math.min(business.concurrency, open.length) }, worker));
    });
  } finally {
    if (!given) deps.profiles.close();
  }
  const counts = await ctx.sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from zap_batch_lines where batch_id = ${batchId} group by status`;
  const n = (s: string) => counts.find((c) => c.status === s)?.n ?? 0;
  await ctx.sql`update zap_batches set status = 'finished', finished_at = coalesce(finished_at, now()) where id = ${batchId}`;
  return { paid: n('paid'), failed: n('failed'), pending: n('pending') };
}

export interface BatchReport {
  id: string;
  status: 'running' | 'finished';
  amountMsat: string;
  createdAt: string;
  finishedAt?: string;
  totals: { lines: number; queued: number; pending: number; paid: number; failed: number; paidMsat: string; feesMsat: string };
  lines: Array<{ line: number; recipient: string; route?: string; status: string; reason?: string; paymentHash?: string; preimage?: string; feeMsat?: string; receiptSeen: boolean }>;
}

/** Progress and each line's outcome; lines still pending are refreshed from their payment. */
export async function batchReport(ctx: Context, businessId: string, batchId: string): Promise<BatchReport | undefined> {
  if (!z.uuid().safeParse(batchId).success) return undefined;
  const [b] = await ctx.sql<{ id: string; status: 'running' | 'finished'; amount_msat: bigint; created_at: Date; finished_at: Date | null }[]>`
    select id, status, amount_msat, created_at, finished_at from zap_batches where id = ${batchId} and business_id = ${businessId}`;
  if (!b) return undefined;
  const pending = await ctx.sql<{ line: number; transaction_id: string }[]>`
    select line, transaction_id from zap_batch_lines where batch_id = ${batchId} and status = 'pending' and transaction_id is not null`;
  for (const p of pending) {
    const t = await getTransaction(ctx.sql, p.transaction_id);
    if (t && t.status !== 'pending') await saveLine(ctx, batchId, p.line, fromTransaction(t));
  }
  const rows = await ctx.sql<Array<{ line: number; recipient: string; route: string | null; status: string; reason: string | null; payment_hash: string | null; preimage: string | null; fee_msat: bigint | null; receipt_seen: boolean }>>`
    select line, recipient, route, status, reason, payment_hash, preimage, fee_msat, receipt_seen from zap_batch_lines where batch_id = ${batchId} order by line`;
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  const paid = rows.filter((r) => r.status === 'paid');
  return {
    id: b.id, status: b.status, amountMsat: b.amount_msat.toString(), createdAt: b.created_at.toISOString(), finishedAt: b.finished_at?.toISOString(),
    totals: {
      lines: rows.length, queued: count('queued'), pending: count('pending'), paid: paid.length, failed: count('failed'),
      paidMsat: (b.amount_msat * BigInt(paid.length)).toString(), feesMsat: paid.reduce((s, r) => s + (r.fee_msat ?? 0n), 0n).toString(),
    },
    lines: rows.map((r) => ({
      line: r.line, recipient: r.recipient, route: r.route ?? undefined, status: r.status, reason: r.reason ?? undefined,
      paymentHash: r.payment_hash ?? undefined, preimage: r.preimage ?? undefined, feeMsat: r.fee_msat?.toString(), receiptSeen: r.receipt_seen,
    })),
  };
}
