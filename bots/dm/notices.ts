// Notices from the wallet's domain events (consumer group `dm-bot`): "invoice paid" and "you
// received" for money that came through the bot (an invoice made with `invoice`, a `send` from
// another user), and the outcome of a payment whose reply said "in flight". Events arrive at
// least once; each notice is claimed in PostgreSQL before it is sent.
import { hostname } from 'node:os';
import { consumeEvents } from '../../core/events.ts';
import { paymentFailed, paymentReceived, paymentSent, type PaymentEvent } from '../../core/payments/events.ts';
import type { Logger } from '../../core/log.ts';
import { t } from './i18n/index.ts';
import { tellOutcome } from './payments.ts';
import type { DmDeps } from './session.ts';
import * as store from './store.ts';

async function received(d: DmDeps, e: PaymentEvent): Promise<void> {
  if (e.metadata?.source !== 'dm') return;
  const user = await store.claimNotice(d.ctx.sql, `${e.type}:${e.transactionId}`, e.accountId, e.counterpartyAccountId);
  if (!user) return;
  const lang = user.lang ?? d.ctx.config.DM_DEFAULT_LANG;
  const from = user.from?.pubkey ? d.labelOf(user.from.pubkey) : (user.from?.name ?? '?');
  const text = e.kind === 'lightning'
    ? t(lang, 'invoice.paid', { msat: e.amountMsat, memo: e.description })
    : t(lang, 'send.received', { msat: e.amountMsat, from, memo: e.memo });
  await d.messenger.send(user.pubkey, user.scheme ?? await d.messenger.schemeFor(user.pubkey), text);
}

/**
 * The event carries what the outcome DM says: no need to read the payment again. A transfer
 * is settled by the statement that makes it, so nobody was told it is in flight.
 */
async function finished(d: DmDeps, e: PaymentEvent): Promise<void> {
  if (e.kind === 'transfer') return;
  return tellOutcome(d, {
    id: e.transactionId, status: e.type === 'payment.sent' ? 'succeeded' : 'failed', amountMsat: e.amountMsat,
    feeMsat: e.feeMsat, preimage: e.preimage, failureReason: e.reason,
  });
}

export function startNotices(d: DmDeps, opts: { botPubkey: string; log: Logger }): Promise<{ stop(): Promise<void> }> {
  return consumeEvents({
    redis: d.ctx.redis,
    prefix: d.ctx.config.REDIS_PREFIX,
    group: `dm-bot:${opts.botPubkey}`,
    consumer: `${hostname()}:${process.pid}`,
    events: [paymentReceived, paymentSent, paymentFailed],
    log: opts.log,
    handler: (e) => (e.type === 'payment.received' ? received(d, e) : finished(d, e)),
  });
}
