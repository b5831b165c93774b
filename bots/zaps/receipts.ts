// Zap receipts (NIP-57 Appendix E), driven by the durable payment.received event: a paid
// zap invoice gets one receipt, signed once and stored, then one publish job per relay (the
// request's relays and our own), each retried with backoff until the relay takes it.
import type { NostrEvent } from 'nostr-tools/pure';
import { normalizeURL } from 'nostr-tools/utils';
import type { Context } from '../../core/context.ts';
import type { PaymentEvent } from '../../core/payments/events.ts';
import type { Signer } from 'nostr-tools/signer';
import type { PublishResult } from '../../core/nostr/pool.ts';
import { ownZapRelays } from '../../core/addresses/addresses.ts';
import { zapMetadata } from '../../core/addresses/lnurl-pay.ts';
import { buildZapReceipt, parseZapRequest, ZapRequestError, type ZapRequest } from '../../core/nostr/nip57.ts';
import { isOutboundRefusal } from '../../core/outbound.ts';

/** Publishes one event to one relay (the zapper's relay pool in production). */
export type PublishTo = (event: NostrEvent, relay: string) => Promise<PublishResult>;

const MAX_BACKOFF_MS = 15 * 60_000;
export const receiptBackoffMs = (attempt: number) => Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));

/** The stored zap request of a paid invoice, re-read without its signature (checked before it was stored). */
function zapRequestOf(ctx: Context, event: PaymentEvent): ZapRequest | undefined {
  const meta = zapMetadata.safeParse(event.metadata);
  if (!meta.success) return undefined;
  try {
    return parseZapRequest(meta.data.zapRequest, { trusted: true });
  } catch (err) {
    if (!(err instanceof ZapRequestError)) throw err;
    // No receipt can ever be made for it: retrying the event would not help.
    ctx.log.error({ paymentHash: event.paymentHash, reason: err.code }, 'paid zap invoice with an invalid zap request; no receipt');
    return undefined;
  }
}

/**
 * On payment.received of a zap invoice: sign and store its receipt (once, whatever the
 * number of deliveries of the event), record its deliveries and enqueue their next attempts.
 */
export async function onZapPaid(ctx: Context, key: { signer: Signer }, event: PaymentEvent): Promise<NostrEvent | undefined> {
  if (event.type !== 'payment.received' || !event.paymentHash || !event.paymentRequest) return undefined;
  const request = zapRequestOf(ctx, event);
  if (!request) return undefined;
  const paymentHash = event.paymentHash;
  const signed = await key.signer.signEvent(buildZapReceipt(request, { bolt11: event.paymentRequest, preimage: event.preimage, paidAt: event.occurredAt }));
  const relays = [...new Set([...ctx.outbound.capRelays(request.relays), ...ownZapRelays(ctx.config)].map(normalizeURL))];
  // Each statement returns what is stored (the first receipt, the deliveries as they stand), on a
  // repeated event too; a crash between them is repaired by the event's redelivery.
  const [row] = await ctx.sql<{ event: NostrEvent }[]>`
    insert into zap_receipts (payment_hash, event_id, event) values (${paymentHash}, ${signed.id}, ${ctx.sql.json(signed as never)})
    on conflict (payment_hash) do update set payment_hash = excluded.payment_hash returning event`;
  const deliveries = await ctx.sql<Delivery[]>`
    insert into zap_receipt_deliveries ${ctx.sql(relays.map((relay) => ({ payment_hash: paymentHash, relay })))}
    on conflict (payment_hash, relay) do update set relay = excluded.relay returning payment_hash, relay, attempts, status`;
  await enqueueNext(ctx, deliveries);
  return row!.event;
}

interface Delivery { payment_hash: string; relay: string; attempts: number; status: string }

/** One job per (delivery, attempt): a repeated enqueue of the same attempt is a no-op. */
const enqueueAttempt = (ctx: Context, job: { paymentHash: string; relay: string; attempt: number }, delayMs?: number) =>
  ctx.bus.enqueue('zaps.publishReceipt', job, { id: `receipt|${job.paymentHash}|${job.relay}|${job.attempt}`, delayMs });

const enqueueNext = (ctx: Context, deliveries: Delivery[]) => Promise.all(deliveries.filter((d) => d.status === 'pending')
  .map((d) => enqueueAttempt(ctx, { paymentHash: d.payment_hash, relay: d.relay, attempt: d.attempts + 1 })));

/** Enqueues the next attempt of every pending delivery (after a restart: jobs lost with a crash). */
export async function enqueuePending(ctx: Context): Promise<number> {
  const rows = await ctx.sql<Delivery[]>`select payment_hash, relay, attempts, status from zap_receipt_deliveries where status = 'pending'`;
  await enqueueNext(ctx, rows);
  return rows.length;
}

/** One attempt of one delivery; on failure the next attempt is enqueued with a longer delay. */
export async function publishReceipt(ctx: Context, publish: PublishTo, job: { paymentHash: string; relay: string; attempt: number }): Promise<'published' | 'retrying' | 'failed' | 'done'> {
  const [row] = await ctx.sql<{ event: NostrEvent; status: string; attempts: number }[]>`
    select r.event, d.status, d.attempts from zap_receipt_deliveries d join zap_receipts r using (payment_hash)
    where d.payment_hash = ${job.paymentHash} and d.relay = ${job.relay}`;
  // A repeated or stale job: the delivery finished or a later attempt owns it.
  if (!row || row.status !== 'pending' || row.attempts >= job.attempt) return 'done';
  const result = await publish(row.event, job.relay);
  if (result.ok) {
    // A batch line's receiptSeen is read from here (batchReport).
    await ctx.sql`update zap_receipt_deliveries set status = 'published', attempts = ${job.attempt}, published_at = now(), last_error = null
      where payment_hash = ${job.paymentHash} and relay = ${job.relay}`;
    return 'published';
  }
  // A relay the outbound policy refuses stays refused: no further attempts.
  const last = job.attempt >= ctx.config.ZAP_RECEIPT_ATTEMPTS || isOutboundRefusal(result.message);
  await ctx.sql`update zap_receipt_deliveries set attempts = ${job.attempt}, last_error = ${result.message.slice(0, 500)},
    status = ${last ? 'failed' : 'pending'} where payment_hash = ${job.paymentHash} and relay = ${job.relay}`;
  if (last) {
    ctx.log.error({ relay: job.relay, paymentHash: job.paymentHash, message: result.message }, 'zap receipt not accepted by relay; giving up');
    return 'failed';
  }
  await enqueueAttempt(ctx, { ...job, attempt: job.attempt + 1 }, receiptBackoffMs(job.attempt));
  return 'retrying';
}
