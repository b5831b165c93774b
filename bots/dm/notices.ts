// Notices from the wallet's domain events (consumer group `dm-bot`): "invoice paid" for an
// invoice made with `invoice`; "you received" for money routed to someone's key (core/routing
// marks it `notify`: a `send`, a zap, a business batch line), with how to use it for someone
// who never wrote to the bot; and the outcome of a payment whose reply said "in flight".
// Events arrive at least once; each notice is claimed in PostgreSQL before it is sent.
import { hostname } from 'node:os';
import { zapMetadata } from '../../core/addresses/lnurl-pay.ts';
import { consumeEvents } from '../../core/events.ts';
import { paymentFailed, paymentReceived, paymentSent, type PaymentEvent } from '../../core/payments/events.ts';
import { depositPending } from '../../core/onchain/events.ts';
import type { Logger } from '../../core/log.ts';
import { parseZapRequest, ZapRequestError } from '../../core/nostr/nip57.ts';
import { cardNotice } from './cards.ts';
import { t, type Lang } from './i18n/index.ts';
import { tellOutcome } from './payments.ts';
import type { DmDeps } from './session.ts';
import * as store from './store.ts';

/** A zap's sender as its request names it (checked before it was stored), not the paying account. */
function zapSender(d: DmDeps, lang: Lang, metadata: PaymentEvent['metadata']): { from: string; memo?: string } | undefined {
  const zap = zapMetadata.safeParse(metadata);
  if (!zap.success) return undefined;
  let request;
  try {
    request = parseZapRequest(zap.data.zapRequest, { trusted: true });
  } catch (err) {
    if (err instanceof ZapRequestError) return undefined;
    throw err;
  }
  return { from: request.anonymous ? t(lang, 'send.anonymous') : d.labelOf(request.sender), memo: request.comment || undefined };
}

/** On-chain deposits: "seen, pending" and "confirmed, spendable" (core/onchain/deposits.ts). */
async function deposit(d: DmDeps, e: { type: string; transactionId: string; accountId: string; amountMsat: bigint; confirmations?: number }): Promise<void> {
  const user = await store.claimNotice(d.ctx.sql, `${e.type}:${e.transactionId}`, e.accountId, undefined);
  if (!user) return;
  const lang = user.lang ?? d.ctx.config.DM_DEFAULT_LANG;
  const text = e.type === depositPending.type ? t(lang, 'deposit.pending', { msat: e.amountMsat, confirmations: e.confirmations ?? 0 }) : t(lang, 'deposit.credited', { msat: e.amountMsat });
  await d.messenger.send(user.pubkey, user.scheme ?? await d.messenger.schemeFor(user.pubkey), text);
}

async function received(d: DmDeps, e: PaymentEvent): Promise<void> {
  if (e.kind === 'onchain') return deposit(d, e);
  const invoicePaid = e.kind === 'lightning' && e.metadata?.source === 'dm';
  if (!invoicePaid && e.metadata?.notify !== true) return;
  const user = await store.claimNotice(d.ctx.sql, `${e.type}:${e.transactionId}`, e.accountId, e.counterpartyAccountId);
  if (!user) return;
  const lang = user.lang ?? d.ctx.config.DM_DEFAULT_LANG;
  let text: string;
  if (invoicePaid) {
    text = t(lang, 'invoice.paid', { msat: e.amountMsat, memo: e.description });
  } else {
    const sent = zapSender(d, lang, e.metadata) ?? {
      from: user.from?.pubkey ? d.labelOf(user.from.pubkey) : (user.from?.name ?? t(lang, 'send.anonymous')), memo: e.memo,
    };
    text = t(lang, 'send.received', { msat: e.amountMsat, ...sent });
    if (!user.known) text += `\n\n${t(lang, 'send.welcome')}`;
  }
  await d.messenger.send(user.pubkey, user.scheme ?? await d.messenger.schemeFor(user.pubkey), text);
}

/**
 * The event carries what the outcome DM says: no need to read the payment again. A transfer
 * is settled by the statement that makes it, so nobody was told it is in flight.
 */
async function finished(d: DmDeps, e: PaymentEvent): Promise<void> {
  if (e.kind === 'transfer') return;
  if (typeof e.metadata?.card === 'string') return cardNotice(d, e, e.metadata.card);
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
    events: [paymentReceived, paymentSent, paymentFailed, depositPending],
    log: opts.log,
    handler: (e) => (e.type === depositPending.type ? deposit(d, e) : e.type === 'payment.received' ? received(d, e) : finished(d, e)),
  });
}
