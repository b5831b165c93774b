// Business zap batches: many recipients, one amount, each line paid at most once (its own
// idempotency key), run by a `zaps.batch` queue job that may repeat after a crash. A
// business's payments run at most `concurrency` at a time: one batch of a business at a
// time (a Redis lock), its lines `concurrency` at a time. The ledger refuses overspending.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CodedError } from '../errors.ts';
import type { Context } from '../context.ts';
import { balance } from '../ledger/ledger.ts';
import { KeyError, parsePubkey } from '../nostr/keys.ts';
import { toTransaction, type Transaction, type TransactionRow } from '../payments/transactions.ts';
import { resultOf, type PaymentResult } from '../payments/outgoing.ts';
import { eventSchema } from '../nostr/event.ts';
import { openSigningKey, toBusiness, type Business, type BusinessRow } from './business.ts';
import { finalizeEvent } from '../nostr/secp.ts';
import { ownZapRelays } from '../addresses/addresses.ts';
import { parseRecipient } from '../routing/recipient.ts';
import { routeOf, routingDeps, type Route, type RoutingDeps } from '../routing/route.ts';
import { pointerOf } from '../zaps/pointers.ts';
import { payZap, zapFailureReason } from '../zaps/send.ts';

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

/** Why a batch is refused; api/business gives each its HTTP status. */
export class BatchError extends CodedError<'invalid_request' | 'key_reused' | 'insufficient_balance'> {
  override name = 'BatchError';
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
  if (new Set(lines.map((l) => l.key)).size !== lines.length) throw new BatchError('invalid_request', 'line idempotency keys must be unique');
  if (!lines.every((l) => l.zapRequest) && !business.hasSigningKey) {
    throw new BatchError('invalid_request', 'pre-sign a zap request for every recipient, or register a signing key (PUT /api/v1/signing-key)');
  }
  const result = await ctx.sql.begin(async (tx) => {
    const [existing] = await tx<{ id: string; request_hash: string }[]>`
      select id, request_hash from zap_batches where business_id = ${business.accountId} and idempotency_key = ${req.idempotencyKey}`;
    if (existing) {
      if (existing.request_hash !== requestHash) throw new BatchError('key_reused', 'this idempotency key was used for another batch');
      return { id: existing.id, created: false };
    }
    const total = req.amountMsat * BigInt(lines.length);
    const available = await balance(tx, business.accountId);
    if (total > available) throw new BatchError('insufficient_balance', `the batch needs ${total} msat plus fees; the balance is ${available} msat`);
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

interface LineRow { line: number; recipient: string; idempotency_key: string; zap_request: string | null }

type LineUpdate = { status: 'paid' | 'failed' | 'pending'; reason?: string; route?: string; recipientPubkey?: string; payment?: PaymentResult };

/** Writes line outcomes, many lines per statement. */
async function saveLines(ctx: Context, batchId: string, updates: Array<{ line: number; update: LineUpdate }>): Promise<void> {
  const rows = updates.map(({ line, update: u }) => {
    const p = u.payment;
    return {
      line, status: u.status, reason: u.reason ?? null, route: u.route ?? null, recipient_pubkey: u.recipientPubkey ?? null,
      transaction_id: p?.transactionId ?? null, payment_hash: p?.paymentHash ?? null,
      preimage: p?.status === 'succeeded' ? p.preimage : null, fee_msat: p?.status === 'succeeded' ? p.feeMsat.toString() : null,
    };
  });
  await ctx.sql`
    update zap_batch_lines l set status = v.status, reason = v.reason, route = coalesce(v.route, l.route),
      recipient_pubkey = coalesce(v.recipient_pubkey, l.recipient_pubkey), transaction_id = coalesce(v.transaction_id, l.transaction_id),
      payment_hash = coalesce(v.payment_hash, l.payment_hash), preimage = v.preimage, fee_msat = v.fee_msat, updated_at = now()
    from jsonb_to_recordset(${ctx.sql.json(rows as never)}) as v(line int, status text, reason text, route text, recipient_pubkey text,
      transaction_id uuid, payment_hash text, preimage text, fee_msat int8)
    where l.batch_id = ${batchId} and l.line = v.line`;
}

const FLUSH_LINES = 64;
const FLUSH_MS = 200;

/** Collects line outcomes and writes them in groups (by count or after a short delay), in order. */
function lineWriter(ctx: Context, batchId: string) {
  let queued: Array<{ line: number; update: LineUpdate }> = [];
  let timer: NodeJS.Timeout | undefined;
  let writing = Promise.resolve();
  let failure: unknown;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const rows = queued;
    queued = [];
    if (rows.length) writing = writing.then(() => saveLines(ctx, batchId, rows)).catch((err: unknown) => { failure ??= err; });
    return writing;
  };
  return {
    add(line: number, update: LineUpdate) {
      queued.push({ line, update });
      if (queued.length >= FLUSH_LINES) void flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    /** Writes what is left; throws if any write failed (the job repeats; outcomes come from the payments). */
    async close() {
      await flush();
      if (failure) throw failure;
    },
  };
}

const fromTransaction = (t: Transaction): LineUpdate => fromPayment(resultOf(t));

const fromPayment = (payment: PaymentResult): LineUpdate => payment.status === 'succeeded' ? { status: 'paid', payment }
  : payment.status === 'failed' ? { status: 'failed', reason: payment.reason, payment } : { status: 'pending', payment };

/** The idempotency key of a line's payment (unique per business account). */
const paymentKey = (batchId: string, lineKey: string) => `batch:${batchId}:${lineKey}`;

/** The payments already made for these lines (a repeated job), by line idempotency key; one query. */
async function paymentsOf(ctx: Context, businessId: string, batchId: string, lines: LineRow[]): Promise<Map<string, Transaction>> {
  const rows = lines.length === 0 ? [] : await ctx.sql<TransactionRow[]>`
    select * from transactions where account_id = ${businessId} and direction = 'outgoing'
      and idempotency_key = any(${lines.map((l) => paymentKey(batchId, l.idempotency_key))}::text[])`;
  const prefix = paymentKey(batchId, '').length;
  return new Map(rows.map((r) => [r.idempotency_key.slice(prefix), toTransaction(r)]));
}

/** A recipient as written (npub, nprofile, hex) → its pubkey and user account here. */
type KnownRecipients = Map<string, { pubkey: string; accountId: string }>;

/** The recipients of these lines that are users here; one query. */
async function knownRecipients(ctx: Context, lines: LineRow[]): Promise<KnownRecipients> {
  const byPubkey = new Map<string, string>();
  for (const l of lines) {
    if (l.recipient.includes('@')) continue;
    try {
      byPubkey.set(parsePubkey(l.recipient), l.recipient);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
    }
  }
  if (byPubkey.size === 0) return new Map();
  const rows = await ctx.sql<{ id: string; pubkey: string }[]>`select id, pubkey from accounts where kind = 'user' and pubkey = any(${[...byPubkey.keys()]}::text[])`;
  return new Map(rows.map((r) => [byPubkey.get(r.pubkey)!, { pubkey: r.pubkey, accountId: r.id }]));
}

/** Recipient as written → route (core/routing), users found by knownRecipients needing no lookup. */
async function recipientRoute(ctx: Context, deps: RoutingDeps, recipient: string, known: KnownRecipients): Promise<Route> {
  const user = known.get(recipient);
  if (user) return { rail: 'internal', ...user };
  return routeOf(ctx, deps, parseRecipient(recipient));
}

interface RunningBatch {
  id: string; amountMsat: bigint; comment: string; business: Business; sign?: Uint8Array;
  target: ReturnType<typeof pointerOf> | undefined; relays: string[];
}

async function runLine(ctx: Context, deps: RoutingDeps, batch: RunningBatch, l: LineRow, known: KnownRecipients): Promise<LineUpdate> {
  try {
    const route = await recipientRoute(ctx, deps, l.recipient, known);
    const sk = batch.sign;
    const outcome = await payZap(ctx, deps, {
      payerAccountId: batch.business.accountId, idempotencyKey: paymentKey(batch.id, l.idempotency_key), route,
      target: batch.target, amountMsat: batch.amountMsat, comment: batch.comment, relays: batch.relays,
      signed: l.zap_request ?? undefined, sign: sk && ((t) => finalizeEvent(t, sk)), memo: `zap batch ${batch.id} line ${l.line}`,
    });
    return { ...fromPayment(outcome.payment), route: outcome.route, recipientPubkey: route.rail === 'invoice' ? undefined : route.pubkey };
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

const openLines = (ctx: Context, batchId: string) => ctx.sql<LineRow[]>`
  select line, recipient, idempotency_key, zap_request from zap_batch_lines where batch_id = ${batchId} and status in ('queued', 'pending') order by line`;

/**
 * The `zaps.batch` job: every open line, `concurrency` at a time. Safe to run again: a line
 * whose payment exists (looked up for all lines at once) is reported from it, never paid again.
 */
export async function runBatch(ctx: Context, batchId: string, given?: RoutingDeps): Promise<{ paid: number; failed: number; pending: number }> {
  const [b] = await ctx.sql<Array<BusinessRow & { amount_msat: bigint; comment: string; event: string | null; relays: string[] }>>`
    select b.*, z.amount_msat, z.comment, z.event, z.relays
    from zap_batches z join businesses b on b.account_id = z.business_id where z.id = ${batchId}`;
  if (!b) throw new Error(`no zap batch ${batchId}`);
  const business = toBusiness(b);
  const target = b.event ? pointerOf(b.event) : undefined;
  const batch: RunningBatch = {
    id: batchId, amountMsat: b.amount_msat, comment: b.comment, business, target,
    // Opened once per run, not per line.
    sign: b.sealed_signing_key ? openSigningKey(ctx, business.accountId, b.sealed_signing_key) : undefined,
    // A zap request needs relays for its receipt: the business's, the zapped event's, ours.
    relays: [...new Set([...b.relays, ...(target?.relays ?? []), ...ownZapRelays(ctx.config)])],
  };
  const deps = given ?? routingDeps(ctx);
  try {
    await withBusinessLock(ctx, business.accountId, batchId, async () => {
      const open = await openLines(ctx, batchId);
      const [paid, known] = await Promise.all([paymentsOf(ctx, business.accountId, batchId, open), knownRecipients(ctx, open)]);
      const writer = lineWriter(ctx, batchId);
      const todo = open.filter((l) => {
        const payment = paid.get(l.idempotency_key);
        if (payment) writer.add(l.line, fromTransaction(payment));
        return !payment;
      });
      // A line that cannot be decided (node unavailable…) stops the run once the lines under
      // way are done; the job's next attempt carries on.
      let next = 0;
      let stop: { err: unknown } | undefined;
      const worker = async () => {
        while (!stop && next < todo.length) {
          const l = todo[next++]!;
          try {
            writer.add(l.line, await runLine(ctx, deps, batch, l, known));
          } catch (err) {
            stop ??= { err };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(business.concurrency, todo.length) }, worker));
      await writer.close();
      if (stop) throw stop.err;
    });
  } finally {
    if (!given) deps.profiles.close();
  }
  return finishBatch(ctx, batchId);
}

async function finishBatch(ctx: Context, batchId: string): Promise<{ paid: number; failed: number; pending: number }> {
  const counts = await ctx.sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from zap_batch_lines where batch_id = ${batchId} group by status`;
  const n = (s: string) => counts.find((c) => c.status === s)?.n ?? 0;
  await ctx.sql`update zap_batches set status = 'finished', finished_at = coalesce(finished_at, now()) where id = ${batchId}`;
  return { paid: n('paid'), failed: n('failed'), pending: n('pending') };
}

/**
 * A batch whose job has failed its last attempt: lines whose payment exists are reported from
 * it; every other open line fails with `reason`, and the batch finishes.
 */
export async function failBatch(ctx: Context, batchId: string, reason: string): Promise<void> {
  const [b] = await ctx.sql<{ business_id: string }[]>`select business_id from zap_batches where id = ${batchId}`;
  if (!b) return;
  const open = await openLines(ctx, batchId);
  const paid = await paymentsOf(ctx, b.business_id, batchId, open);
  const made = open.filter((l) => paid.has(l.idempotency_key));
  if (made.length) await saveLines(ctx, batchId, made.map((l) => ({ line: l.line, update: fromTransaction(paid.get(l.idempotency_key)!) })));
  await ctx.sql`update zap_batch_lines set status = 'failed', reason = ${reason.slice(0, 300)}, updated_at = now()
    where batch_id = ${batchId} and status = 'queued' and line = any(${open.filter((l) => !paid.has(l.idempotency_key)).map((l) => l.line)}::int[])`;
  await finishBatch(ctx, batchId);
}

/** One attempt of the `zaps.batch` job; when it is the last one and fails, the batch fails (failBatch). */
export async function runBatchAttempt(ctx: Context, batchId: string, lastAttempt: boolean): Promise<{ paid: number; failed: number; pending: number }> {
  try {
    return await runBatch(ctx, batchId);
  } catch (err) {
    if (lastAttempt) {
      await failBatch(ctx, batchId, `batch_failed: ${(err as Error).message}`)
        .catch((failErr: unknown) => ctx.log.error({ err: failErr, batchId }, 'could not mark a failed zap batch'));
    }
    throw err;
  }
}

export interface BatchSummary {
  id: string;
  status: 'running' | 'finished';
  amountMsat: string;
  createdAt: string;
  finishedAt?: string;
  totals: { lines: number; queued: number; pending: number; paid: number; failed: number; paidMsat: string; feesMsat: string };
}

export interface BatchReport extends BatchSummary {
  lines: Array<{ line: number; recipient: string; route?: string; status: string; reason?: string; paymentHash?: string; preimage?: string; feeMsat?: string; receiptSeen: boolean }>;
}

/** Progress (what polling needs); lines still pending are refreshed from their payment first. */
export async function batchSummary(ctx: Context, businessId: string, batchId: string): Promise<BatchSummary | undefined> {
  if (!z.uuid().safeParse(batchId).success) return undefined;
  const [b] = await ctx.sql<{ id: string; status: 'running' | 'finished'; amount_msat: bigint; created_at: Date; finished_at: Date | null }[]>`
    select id, status, amount_msat, created_at, finished_at from zap_batches where id = ${batchId} and business_id = ${businessId}`;
  if (!b) return undefined;
  const settled = await ctx.sql<Array<TransactionRow & { line: number }>>`
    select t.*, l.line from zap_batch_lines l join transactions t on t.id = l.transaction_id
    where l.batch_id = ${batchId} and l.status = 'pending' and t.status <> 'pending'`;
  if (settled.length) await saveLines(ctx, batchId, settled.map((r) => ({ line: r.line, update: fromTransaction(toTransaction(r)) })));
  const counts = await ctx.sql<{ status: string; n: number; fees: bigint }[]>`
    select status, count(*)::int as n, coalesce(sum(fee_msat), 0)::int8 as fees from zap_batch_lines where batch_id = ${batchId} group by status`;
  const count = (s: string) => counts.find((c) => c.status === s)?.n ?? 0;
  return {
    id: b.id, status: b.status, amountMsat: b.amount_msat.toString(), createdAt: b.created_at.toISOString(), finishedAt: b.finished_at?.toISOString(),
    totals: {
      lines: counts.reduce((s, c) => s + c.n, 0), queued: count('queued'), pending: count('pending'), paid: count('paid'), failed: count('failed'),
      paidMsat: (b.amount_msat * BigInt(count('paid'))).toString(), feesMsat: (counts.find((c) => c.status === 'paid')?.fees ?? 0n).toString(),
    },
  };
}

/** The summary and each line's outcome. */
export async function batchReport(ctx: Context, businessId: string, batchId: string): Promise<BatchReport | undefined> {
  const summary = await batchSummary(ctx, businessId, batchId);
  if (!summary) return undefined;
  const rows = await ctx.sql<Array<{ line: number; recipient: string; route: string | null; status: string; reason: string | null; payment_hash: string | null; preimage: string | null; fee_msat: bigint | null; receipt_seen: boolean }>>`
    select line, recipient, route, status, reason, payment_hash, preimage, fee_msat,
      -- Read from the deliveries: the receipt may be published before the line's payment is written.
      exists (select 1 from zap_receipt_deliveries d where d.payment_hash = l.payment_hash and d.status = 'published') as receipt_seen
    from zap_batch_lines l where batch_id = ${batchId} order by line`;
  return {
    ...summary,
    lines: rows.map((r) => ({
      line: r.line, recipient: r.recipient, route: r.route ?? undefined, status: r.status, reason: r.reason ?? undefined,
      paymentHash: r.payment_hash ?? undefined, preimage: r.preimage ?? undefined, feeMsat: r.fee_msat?.toString(), receiptSeen: r.receipt_seen,
    })),
  };
}
