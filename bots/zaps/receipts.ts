// Zap receipts (NIP-57 Appendix E), driven by the durable payment.received event: a paid
// zap invoice gets one receipt, signed once and stored, then one publish job per relay (the
// request's relays and our own), each retried with backoff until the relay takes it.
import { finalizeEvent, type NostrEvent } from 'nostr-tools/pure';
import { normalizeURL } from 'nostr-tools/utils';
import type { Context } from '../../core/context.ts';
import type { PaymentEvent } from '../../core/events.ts';
import type { KeyPair } from '../../core/nostr/keys.ts';
import type { PublishResult } from '../../core/nostr/pool.ts';
import { buildZapReceipt, parseZapRequest } from './nip57.ts';
import { ownZapRelays, zapMetadata } from './receive.ts';

/** Publishes one event to one relay (the zapper's relay pool in production). */
export type PublishTo = (event: NostrEvent, relay: string) => Promise<PublishResult>;

const MAX_BACKOFF_MS = 15 * 60_000;
export const receiptBackoffMs = (attempt: number) => Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));

/** The stored zap request of a paid invoice, re-checked (it was validated at the callback). */
function zapRequestOf(event: PaymentEvent) {
  const meta = zapMetadata.safeParse(event.metadata);
  if (!meta.success) return undefined;
  return parseZapRequest(meta.data.zapRequest, { trusted: true });
}

/**
 * On payment.received of a zap invoice: sign and store its receipt (once, whatever the
 * number of deliveries of the event), record its deliveries and enqueue their first attempts.
 */
export async function onZapPaid(ctx: Context, key: KeyPair, event: PaymentEvent): Promise<NostrEvent | undefined> {
  if (event.type !== 'payment.received' || !event.paymentHash || !event.paymentRequest) return undefined;
  const request = zapRequestOf(event);
  if (!request) return undefined;
  const signed = finalizeEvent(buildZapReceipt(request, { bolt11: event.paymentRequest, preimage: event.preimage, paidAt: event.occurredAt }), key.secretKey);
  const relays = [...new Set([...request.relays, ...ownZapRelays(ctx.config)].map(normalizeURL))];
  const receipt = await ctx.sql.begin(async (tx) => {
    await tx`insert into zap_receipts (payment_hash, event_id, event) values (${event.paymentHash!}, ${signed.id}, ${tx.json(signed as never)})
      on conflict (payment_hash) do nothing`;
    const [row] = await tx<{ event: NostrEvent }[]>`select event from zap_receipts where payment_hash = ${event.paymentHash!}`;
    await tx`insert into zap_receipt_deliveries ${tx(relays.map((relay) => ({ payment_hash: event.paymentHash!, relay })))} on conflict do nothing`;
    return row!.event;
  });
  await enqueuePending(ctx, event.paymentHash);
  return receipt;
}

/** Enqueues the next attempt of every pending delivery (of one receipt, or all: after a restart). */
export async function enqueuePending(ctx: Context, paymentHash?: string): Promise<number> {
  const rows = await ctx.sql<{ payment_hash: string; relay: string; attempts: number }[]>`
    select payment_hash, relay, attempts from zap_receipt_deliveries
    where status = 'pending' ${paymentHash ? ctx.sql`and payment_hash = ${paymentHash}` : ctx.sql``}`;
  for (const r of rows) {
    const attempt = r.attempts + 1;
    await ctx.bus.enqueue('zaps.publishReceipt', { paymentHash: r.payment_hash, relay: r.relay, attempt },
      { id: `receipt|${r.payment_hash}|${r.relay}|${attempt}` });
  }
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
    await ctx.sql.begin(async (tx) => {
      await tx`update zap_receipt_deliveries set status = 'published', attempts = ${job.attempt}, published_at = now(), last_error = null
        where payment_hash = ${job.paymentHash} and relay = ${job.relay}`;
      await tx`update zap_batch_lines set receipt_seen = true, updated_at = now() where payment_hash = ${job.paymentHash}`;
    });
    return 'published';
  }
  const last = job.attempt >= ctx.config.ZAP_RECEIPT_ATTEMPTS;
  await ctx.sql`update zap_receipt_deliveries set attempts = ${job.attempt}, last_error = ${result.message.slice(0, 500)},
    status = ${last ? 'failed' : 'pending'} where payment_hash = ${job.paymentHash} and relay = ${job.relay}`;
  if (last) {
    ctx.log.error({ relay: job.relay, paymentHash: job.paymentHash, message: result.message }, 'zap receipt not accepted by relay; giving up');
    return 'failed';
  }
  const next = job.attempt + 1;
  await ctx.bus.enqueue('zaps.publishReceipt', { ...job, attempt: next }, { id: `receipt|${job.paymentHash}|${job.relay}|${next}`, delayMs: receiptBackoffMs(job.attempt) });
  return 'retrying';
}

/** Receipts we published for a recipient (for `flash` tools and tests). */
export async function receiptsFor(ctx: Context, paymentHash: string): Promise<{ event?: NostrEvent; deliveries: Array<{ relay: string; status: string; attempts: number }> }> {
  const [r] = await ctx.sql<{ event: NostrEvent }[]>`select event from zap_receipts where payment_hash = ${paymentHash}`;
  const deliveries = await ctx.sql<{ relay: string; status: string; attempts: number }[]>`
    select relay, status, attempts from zap_receipt_deliveries where payment_hash = ${paymentHash} order by relay`;
  return { event: r?.event, deliveries: [...deliveries] };
}
