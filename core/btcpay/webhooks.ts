// A store's webhook deliveries: the signature checked on the raw bytes before anything is
// parsed, the body read with zod, each delivery recorded once per BTCPay original delivery id
// (a redelivery carries a new deliveryId and the same originalDeliveryId).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { issuesText } from '../errors.ts';
import { BtcpayError } from './errors.ts';
import { linkRow, openWebhookSecret, type LinkRow } from './links.ts';

/**
 * A delivery dated further than this from now is refused as stale. BTCPay dates every
 * (re)delivery when it sends it, so only a replay of an old body is refused.
 */
export const MAX_AGE_SECONDS = 3600;

/** `BTCPay-Sig: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`. */
export function signatureOk(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}

export const webhookEvent = z.looseObject({
  deliveryId: z.string().min(1).max(100),
  webhookId: z.string().min(1).max(100),
  originalDeliveryId: z.string().min(1).max(100),
  isRedelivery: z.boolean(),
  type: z.string().min(1).max(100),
  timestamp: z.number().int(),
  storeId: z.string().optional(),
  invoiceId: z.string().max(100).optional(),
  payoutId: z.string().max(100).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;

/** What a checked delivery is: its link and event, and whether it was seen before (and handled). */
export interface Received { link: LinkRow; event: WebhookEvent; fresh: boolean; processed: boolean }

/**
 * Checks a delivery for link `linkId` in order — link, signature, body, its webhook and store,
 * its age — and records it. Throws BtcpayError with the reason it was refused.
 */
export async function receiveDelivery(ctx: Context, linkId: string, rawBody: Buffer, signature: string | undefined): Promise<Received> {
  const link = z.uuid().safeParse(linkId).success ? await linkRow(ctx.sql, linkId) : undefined;
  if (!link) throw new BtcpayError('unknown_link', 'no such BTCPay link');
  if (!signatureOk(openWebhookSecret(ctx, link), rawBody, signature)) throw new BtcpayError('bad_signature', 'BTCPay-Sig does not match the body');
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new BtcpayError('malformed', 'the body is not JSON');
  }
  const parsed = webhookEvent.safeParse(json);
  if (!parsed.success) throw new BtcpayError('malformed', issuesText(parsed.error, 'body'));
  const event = parsed.data;
  if (event.webhookId !== link.webhook_id || (event.storeId !== undefined && event.storeId !== link.store_id)) {
    throw new BtcpayError('wrong_webhook', 'the delivery names another webhook or store');
  }
  if (Math.abs(Date.now() / 1000 - event.timestamp) > MAX_AGE_SECONDS) throw new BtcpayError('stale', 'the delivery is too old');
  const [row] = await ctx.sql<{ fresh: boolean; processed: boolean }[]>`
    with ins as (
      insert into btcpay_deliveries (link_id, original_delivery_id, delivery_id, type, body)
      values (${link.id}, ${event.originalDeliveryId}, ${event.deliveryId}, ${event.type}, ${ctx.sql.json(event as never)})
      on conflict do nothing returning true as fresh
    )
    select true as fresh, false as processed from ins
    union all
    select false, processed_at is not null from btcpay_deliveries
    where link_id = ${link.id} and original_delivery_id = ${event.originalDeliveryId} and not exists (select 1 from ins)`;
  // No row: a delivery of the same event is being recorded at this moment; it is not acted on yet.
  return { link, event, fresh: row?.fresh ?? false, processed: row?.processed ?? false };
}
