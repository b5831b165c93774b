// Money-moving commands: `pay`, `send` and `zap` become a prepared payment (the recipient routed
// by core/routing, once), which large amounts park for a "yes", then run through core/routing
// (or core/zaps) with an idempotency key derived from the command's DM id, so a repeat never
// pays twice. Invoices are checked by the payment engine when paid, not here.
import * as nip19 from 'nostr-tools/nip19';
import { z } from 'zod';
import { lightningRail } from '../../core/lightning/rail.ts';
import { quoteWithdrawal, withdraw } from '../../core/onchain/withdraw.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import type { PaymentResult } from '../../core/payments/outgoing.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';
import type { Recipient } from '../../core/routing/recipient.ts';
import { routeJson, routeOf, toJson, type Route } from '../../core/routing/route.ts';
import { sendPayment } from '../../core/routing/send.ts';
import type { ZapPointer } from '../../core/zaps/pointers.ts';
import { zapFromUser } from '../../core/zaps/user.ts';
import { errorText, type Refused } from './errors.ts';
import { t, type FailureReason, type Lang } from './i18n/index.ts';
import type { Command, ZapTarget } from './commands.ts';
import type { DmDeps, Reply, Session } from './session.ts';
import * as store from './store.ts';

const msat = z.union([z.bigint(), z.string().regex(/^\d+$/).transform(BigInt)]);
const relays = z.array(z.string());
const zapTarget: z.ZodType<ZapTarget> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('profile'), pubkey: z.string(), relays }),
  z.object({ type: z.literal('event'), id: z.string(), author: z.string().optional(), relays }),
  z.object({ type: z.literal('address'), kind: z.number(), pubkey: z.string(), identifier: z.string(), relays }),
]);
/** What a confirmed command will do; stored as JSON while it waits for "yes". */
const preparedPayment = z.discriminatedUnion('type', [
  // `msat`: the amount given, if any (an invoice may carry its own).
  z.object({ type: z.literal('route'), route: routeJson, to: z.string(), msat: msat.optional(), memo: z.string().optional() }),
  z.object({ type: z.literal('zap'), target: zapTarget, to: z.string(), msat, comment: z.string().optional() }),
  z.object({ type: z.literal('withdraw'), address: z.string(), to: z.string(), msat, speed: z.enum(['fast', 'normal', 'slow']) }),
]);
export type PreparedPayment = z.infer<typeof preparedPayment>;

const toStored = (p: PreparedPayment) => (p.type === 'route' ? { ...p, route: toJson(p.route), msat: p.msat?.toString() } : { ...p, msat: p.msat.toString() });

/**
 * `withdraw`: checked and quoted now (address, network, limits, fee), then always parked for a
 * "yes" with the fee it may cost; a bad address is the user's to fix, said in their words.
 */
export async function requestWithdrawal(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'withdraw' }>): Promise<Reply> {
  if (cmd.msat % 1000n !== 0n) return { text: t(s.lang, 'error.withdraw.whole-sats') };
  let quote;
  try {
    quote = await quoteWithdrawal(d.ctx, { address: cmd.address, amountSat: cmd.msat / 1000n, speed: cmd.speed });
  } catch (err) {
    if (err instanceof PaymentError && err.code === 'wrong_network') return { text: t(s.lang, 'error.withdraw.network', { ours: d.ctx.config.NETWORK }) };
    if (err instanceof PaymentError && err.code === 'invalid_request') return { text: t(s.lang, 'error.withdraw.address', { input: short(cmd.address) }) };
    if (err instanceof PaymentError && err.code === 'amount_out_of_range' && /smallest/.test(err.message)) return { text: t(s.lang, 'error.withdraw.minimum', { reason: err.message }) };
    return { text: await errorText(d, s, err) };
  }
  const prepared: PreparedPayment = { type: 'withdraw', address: quote.address, to: short(quote.address), msat: cmd.msat, speed: quote.speed };
  await store.holdForConfirmation(d.ctx.sql, { pubkey: s.sender, dmId: s.dmId, payment: toStored(prepared), ttlSeconds: d.ctx.config.DM_CONFIRM_SECONDS });
  return { text: t(s.lang, 'confirm.withdraw', { msat: cmd.msat, address: quote.address, feeMsat: quote.feeReserveSat * 1000n, speed: quote.speed }) };
}

/** The idempotency key of the payment a DM asked for. */
export const paymentKey = (dmId: string) => `dm:${dmId}`;
const metadata = (s: Session) => ({ source: 'dm', dm: s.dmId });

const short = (code: string) => (code.length > 24 ? `${code.slice(0, 12)}…${code.slice(-6)}` : code);

/** How a recipient is named in replies. */
function labelOf(d: DmDeps, to: Recipient): string {
  switch (to.type) {
    case 'pubkey': return d.labelOf(to.pubkey);
    case 'address': return to.address;
    case 'invoice': return short(to.paymentRequest);
    case 'lnurl': return short(to.lnurl);
    case 'onchain': return short(to.address);
    case 'cashu': return short(to.token);
  }
}

/** How a zap target is named in replies. */
function zapLabel(d: DmDeps, target: ZapTarget): string {
  if (target.type === 'profile') return d.labelOf(target.pubkey);
  return short(target.type === 'event' ? nip19.noteEncode(target.id) : `${target.kind}:${target.identifier}`);
}

function pointerOf(t: ZapTarget): ZapPointer {
  if (t.type === 'profile') return { recipient: t.pubkey, relays: t.relays };
  if (t.type === 'event') return { eventId: t.id, recipient: t.author, relays: t.relays };
  return { recipient: t.pubkey, coordinate: `${t.kind}:${t.pubkey}:${t.identifier}`, kind: t.kind, relays: t.relays };
}

/** What the payment takes from the balance before fees, when known before paying. */
const amountOf = (p: PreparedPayment): bigint | undefined => (p.type === 'route' && p.route.rail === 'invoice' ? p.route.amountMsat ?? p.msat : p.msat);

/** Routes the recipient now, so a dead address or an amount it refuses is said before any "yes". */
async function prepare(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'pay' | 'send' | 'zap' }>): Promise<PreparedPayment | string> {
  if (cmd.type === 'zap') return { type: 'zap', target: cmd.target, to: zapLabel(d, cmd.target), msat: cmd.msat, comment: cmd.comment };
  const recipient: Recipient = cmd.type === 'pay' ? { type: 'invoice', paymentRequest: cmd.invoice } : cmd.to;
  const to = labelOf(d, recipient);
  let route: Route;
  try {
    route = await routeOf(d.ctx, d.routing, recipient);
  } catch (err) {
    return errorText(d, s, err, { to, stage: 'route' });
  }
  if (route.rail === 'lnurl' && cmd.msat !== undefined && (cmd.msat < route.payRequest.minSendableMsat || cmd.msat > route.payRequest.maxSendableMsat)) {
    return t(s.lang, 'send.lnurl-range', { address: to, minMsat: route.payRequest.minSendableMsat, maxMsat: route.payRequest.maxSendableMsat });
  }
  return { type: 'route', route, to, msat: cmd.msat, memo: cmd.type === 'send' ? cmd.memo : undefined };
}

function confirmationText(d: DmDeps, lang: Lang, p: PreparedPayment, amount: bigint): string {
  if (p.type === 'zap') return t(lang, 'confirm.zap', { msat: amount, target: p.to });
  if (p.type === 'withdraw') return t(lang, 'confirm.send', { msat: amount, to: p.to });
  if (p.route.rail === 'invoice') return t(lang, 'confirm.pay', { msat: amount, maxFeeMsat: lightningRail.feeReserve(d.ctx.config, amount), memo: p.route.description });
  return t(lang, 'confirm.send', { msat: amount, to: p.to });
}

/** `pay`, `send` and `zap`: pays at once, or asks for "yes" above DM_CONFIRM_ABOVE_MSAT. */
export async function requestPayment(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'pay' | 'send' | 'zap' }>): Promise<Reply> {
  const prepared = await prepare(d, s, cmd);
  if (typeof prepared === 'string') return { text: prepared };
  const amount = amountOf(prepared);
  // Without an amount the engine refuses it at once: nothing to confirm.
  if (amount === undefined || amount <= d.ctx.config.DM_CONFIRM_ABOVE_MSAT) return executePayment(d, s, s.dmId, prepared);
  await store.holdForConfirmation(d.ctx.sql, { pubkey: s.sender, dmId: s.dmId, payment: toStored(prepared), ttlSeconds: d.ctx.config.DM_CONFIRM_SECONDS });
  return { text: confirmationText(d, s.lang, prepared, amount) };
}

/** `yes` / `no`: runs or drops the payment waiting for this user. */
export async function confirm(d: DmDeps, s: Session, yes: boolean): Promise<Reply> {
  const waiting = await store.takeConfirmation(d.ctx.sql, s.sender);
  if (waiting.state === 'none') return { text: t(s.lang, 'confirm.nothing') };
  if (waiting.state === 'expired') return { text: t(s.lang, 'confirm.expired') };
  if (!yes) return { text: t(s.lang, 'confirm.cancelled') };
  return executePayment(d, s, waiting.dmId, preparedPayment.parse(waiting.payment));
}

/** What a refusal of this payment may name. */
function refused(d: DmDeps, p: PreparedPayment): Refused {
  const amount = amountOf(p) ?? 0n;
  if (p.type === 'zap') return { to: p.to, stage: 'pay', neededMsat: amount + lightningRail.feeReserve(d.ctx.config, amount) };
  if (p.type === 'withdraw') return { to: p.to, stage: 'pay', neededMsat: amount };
  const { route } = p;
  return {
    to: p.to, stage: 'pay',
    neededMsat: route.rail === 'internal' ? amount : amount + lightningRail.feeReserve(d.ctx.config, amount),
    ...(route.rail === 'invoice' ? { invoiceMsat: route.amountMsat, network: route.network } : {}),
  };
}

/** Runs a prepared payment; `dmId` is the command's DM (not the "yes"), for the idempotency key. */
async function executePayment(d: DmDeps, s: Session, dmId: string, p: PreparedPayment): Promise<Reply> {
  const waitMs = d.ctx.config.DM_PAY_WAIT_MS;
  let result: PaymentResult;
  try {
    if (p.type === 'withdraw') {
      result = await withdraw(d.ctx, { accountId: s.accountId, address: p.address, amountSat: p.msat / 1000n, speed: p.speed, idempotencyKey: paymentKey(dmId) });
      if (result.status === 'succeeded') return { text: t(s.lang, 'send.sent', { msat: p.msat, to: p.to }) };
      if (result.status === 'pending') {
        await store.awaitOutcome(d.ctx.sql, { transactionId: result.transactionId, pubkey: s.sender, dmId, scheme: s.scheme });
        return { text: t(s.lang, 'withdraw.queued') };
      }
    } else if (p.type === 'zap') {
      result = (await zapFromUser(d.ctx, { userPubkey: s.sender, target: pointerOf(p.target), amountMsat: p.msat, comment: p.comment, idempotencyKey: dmId }, d.routing)).payment;
      if (result.status === 'succeeded') return { text: t(s.lang, 'zap.sent', { msat: p.msat, target: p.to }) };
    } else {
      const outcome = await sendPayment(d.ctx, d.routing, {
        payerAccountId: s.accountId, idempotencyKey: paymentKey(dmId), route: p.route, amountMsat: p.msat, memo: p.memo, metadata: metadata(s), waitMs,
      });
      if (outcome.rail === 'internal') return { text: t(s.lang, 'send.sent', { msat: p.msat!, to: p.to }) };
      result = outcome.payment;
      if (result.status === 'succeeded' && outcome.rail === 'lnurl') return { text: t(s.lang, 'send.sent', { msat: p.msat!, to: p.to, feeMsat: result.feeMsat }) };
    }
  } catch (err) {
    return { text: await errorText(d, s, err, refused(d, p)) };
  }
  if (result.status !== 'pending') return { text: resultText(s.lang, result) };
  // In flight: say so now; the outcome follows in a second DM, sent by whoever claims it first.
  const awaiting = { transactionId: result.transactionId, pubkey: s.sender, dmId, scheme: s.scheme };
  await store.awaitOutcome(d.ctx.sql, awaiting);
  return {
    text: t(s.lang, 'payment.pending'),
    after: async () => {
      const now = await getTransaction(d.ctx.sql, result.transactionId);
      if (now && now.status !== 'pending') await tellOutcome(d, now);
    },
  };
}

function resultText(lang: Lang, r: Exclude<PaymentResult, { status: 'pending' }>): string {
  return r.status === 'succeeded'
    ? t(lang, 'payment.sent', { msat: r.amountMsat, feeMsat: r.feeMsat, preimage: r.preimage })
    : t(lang, 'payment.failed', { reason: r.reason as FailureReason });
}

/** What the outcome DM says: a finished payment's row, or its `payment.sent` / `payment.failed` event. */
export type Outcome = Pick<Transaction, 'id' | 'status' | 'amountMsat' | 'feeMsat' | 'preimage' | 'failureReason'>;

/** Sends a finished payment's outcome to whoever was told it was in flight, once. */
export async function tellOutcome(d: DmDeps, tx: Outcome): Promise<void> {
  const waiting = await store.claimOutcome(d.ctx.sql, tx.id);
  if (!waiting) return;
  const { lang } = await d.userSettings(waiting.pubkey);
  const text = tx.status === 'succeeded'
    ? t(lang, 'payment.sent', { msat: tx.amountMsat ?? 0n, feeMsat: tx.feeMsat, preimage: tx.preimage })
    : t(lang, 'payment.failed', { reason: tx.failureReason as FailureReason | undefined });
  await d.messenger.send(waiting.pubkey, waiting.scheme, text, waiting.dmId);
}
