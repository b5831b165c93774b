// Wallet events → NIP-47 notifications. Reads the domain-event stream in the `nwc` consumer
// group; each payment event goes to every active connection on that wallet allowed
// `notifications`, twice: kind 23197 (NIP-44) and kind 23196 (NIP-04, for older apps). A
// finished payment also answers its request if that request is still waiting for it.
import { finalizeEvent } from '../../core/nostr/secp.ts';
import { consumeEvents } from '../../core/events.ts';
import { paymentEvents, type PaymentEvent, type PaymentEventType } from '../../core/payments/events.ts';
import { nowSeconds } from '../../core/nostr/event.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { encrypt, kinds, stringifyJson, toNip47Transaction, type NotificationType } from './nip47.ts';
import type { LiveConnection, NwcService } from './service.ts';

const notificationOf: Partial<Record<PaymentEventType, NotificationType>> = {
  'payment.received': 'payment_received',
  'payment.sent': 'payment_sent',
  'hold_invoice.accepted': 'hold_invoice_accepted',
};

/** The two notification events (NIP-44 and NIP-04) of one notification for one connection. */
export function notificationEvents(c: LiveConnection, type: NotificationType, notification: Record<string, unknown>) {
  const text = stringifyJson({ notification_type: type, notification });
  const tags = [['p', c.clientPubkey]];
  return [
    finalizeEvent({ kind: kinds.notification, created_at: nowSeconds(), tags, content: encrypt('nip44_v2', c.client, text) }, c.secretKey),
    finalizeEvent({ kind: kinds.notificationNip04, created_at: nowSeconds(), tags, content: encrypt('nip04', c.client, text) }, c.secretKey),
  ];
}

async function onEvent(service: NwcService, e: PaymentEvent): Promise<void> {
  if (e.type === 'payment.sent' || e.type === 'payment.failed') await service.answerPayment(e.transactionId, e.accountId);
  const type = notificationOf[e.type];
  if (!type) return;
  const targets = [...service.connections()].filter((c) =>
    c.walletAccountId === e.accountId && c.status === 'active' && c.scopes.includes('notifications') && (!c.expiresAt || c.expiresAt.getTime() > Date.now()));
  if (!targets.length) return;
  const t = await getTransaction(service.ctx.sql, e.transactionId);
  if (!t) return;
  // An invoice paid twice (inside the service, then from outside) reports what this event received.
  const notification = toNip47Transaction({ ...t, amountMsat: e.type === 'payment.received' ? e.amountMsat : t.amountMsat });
  await Promise.all(targets.flatMap((c) => notificationEvents(c, type, notification).map((ev) => service.pool.publish(ev))));
}

/** Consumes wallet events for the service until stopped. */
export function startNotifications(service: NwcService, consumer: string): Promise<{ stop(): Promise<void> }> {
  const { ctx, log } = service;
  return consumeEvents({
    redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'nwc', consumer, log,
    events: paymentEvents,
    handler: (e) => onEvent(service, e),
  });
}
