// Money-moving commands: `pay`, `send` and `zap` become a prepared payment (checked, recipient
// resolved), which large amounts park for a "yes", then run through the wallet core (and the
// zaps service's LNURL-pay for other services' addresses) with an idempotency key derived from
// the command's DM id, so a repeat never pays twice.
import * as nip19 from 'nostr-tools/nip19';
import { z } from 'zod';
import { balance } from '../../core/ledger/ledger.ts';
import { LnurlError } from '../../core/lnurl.ts';
import { Bolt11Error, decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { defaultFeeReserve } from '../../core/lightning/rail.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import type { PaymentResult } from '../../core/payments/outgoing.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { sendZap, ZapError } from '../zaps/send.ts';
import { zapFromUser } from '../zaps/user.ts';
import { t, type FailureReason, type Lang } from './i18n/index.ts';
import type { Command, ZapTarget } from './commands.ts';
import { resolveRecipient } from './recipients.ts';
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
  z.object({ type: z.literal('invoice'), paymentRequest: z.string(), msat, amountGiven: z.boolean(), memo: z.string().optional() }),
  z.object({ type: z.literal('transfer'), toAccountId: z.uuid(), to: z.string(), msat, memo: z.string().optional() }),
  z.object({ type: z.literal('lnurl'), target: z.string(), to: z.string(), msat, comment: z.string().optional() }),
  z.object({ type: z.literal('zap'), target: zapTarget, to: z.string(), msat, comment: z.string().optional() }),
]);
export type PreparedPayment = z.infer<typeof preparedPayment>;

const toJson = (p: PreparedPayment) => ({ ...p, msat: p.msat.toString() });

/** The idempotency key of the payment a DM asked for. */
export const paymentKey = (dmId: string) => `dm:${dmId}`;
const metadata = (s: Session) => ({ source: 'dm', dm: s.dmId });

/** A payment error in the user's words; rethrows errors that are ours, not theirs. */
async function paymentErrorText(d: DmDeps, s: Session, err: unknown, neededMsat: bigint, invoiceMsat?: bigint): Promise<string> {
  if (!(err instanceof PaymentError)) throw err;
  switch (err.code) {
    case 'insufficient_balance':
      return t(s.lang, 'error.insufficient-balance', { balanceMsat: await balance(d.ctx.sql, s.accountId), neededMsat });
    case 'amount_out_of_range': return t(s.lang, 'error.payment.amount_out_of_range', { maxMsat: d.ctx.config.PAYMENT_MAX_MSAT });
    case 'amount_mismatch': return t(s.lang, 'error.payment.amount_mismatch', { invoiceMsat: invoiceMsat ?? neededMsat });
    case 'invalid_invoice': case 'expired': case 'amount_required': case 'already_paid': case 'self_payment': case 'unavailable': case 'not_supported':
      return t(s.lang, `error.payment.${err.code}`);
    // Checked before paying (prepareInvoice) or ours to get right: not the user's doing.
    case 'wrong_network': case 'invalid_request': case 'not_found': case 'idempotency_conflict':
      throw err;
  }
}

/** Checks an invoice for `pay`: decodes, right network, not expired, an amount from somewhere. */
function prepareInvoice(d: DmDeps, lang: Lang, cmd: Extract<Command, { type: 'pay' }>): PreparedPayment | string {
  let invoice;
  try {
    invoice = decodeBolt11(cmd.invoice);
  } catch (err) {
    if (err instanceof Bolt11Error) return t(lang, 'error.payment.invalid_invoice');
    throw err;
  }
  if (invoice.network !== d.ctx.config.NETWORK) return t(lang, 'error.payment.wrong_network', { network: invoice.network, ours: d.ctx.config.NETWORK });
  if (invoice.expiresAt.getTime() <= Date.now()) return t(lang, 'error.payment.expired');
  if (invoice.amountMsat !== undefined && cmd.msat !== undefined && invoice.amountMsat !== cmd.msat) {
    return t(lang, 'error.payment.amount_mismatch', { invoiceMsat: invoice.amountMsat });
  }
  const amount = invoice.amountMsat ?? cmd.msat;
  if (amount === undefined) return t(lang, 'error.payment.amount_required');
  return { type: 'invoice', paymentRequest: invoice.paymentRequest, msat: amount, amountGiven: invoice.amountMsat === undefined, memo: invoice.description || undefined };
}

/** Resolves `send`'s recipient: a user of this service is an internal transfer. */
async function prepareSend(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'send' }>): Promise<PreparedPayment | string> {
  const r = await resolveRecipient(d, cmd.to);
  switch (r.type) {
    case 'account':
      if (r.accountId === s.accountId) return t(s.lang, 'error.payment.self_payment');
      return { type: 'transfer', toAccountId: r.accountId, to: r.label, msat: cmd.msat, memo: cmd.memo };
    case 'no-account': return t(s.lang, 'send.no-account', { to: r.label });
    case 'not-found': return t(s.lang, 'send.not-found', { address: r.label });
    case 'lnurl': {
      // Asked now, so a wrong amount or a dead address is said before any "yes".
      let pay;
      try {
        pay = await d.zaps.lnurl.resolve(r.target);
      } catch (err) {
        if (err instanceof LnurlError) return t(s.lang, 'send.not-found', { address: r.label });
        throw err;
      }
      if (cmd.msat < pay.minSendableMsat || cmd.msat > pay.maxSendableMsat) {
        return t(s.lang, 'send.lnurl-range', { address: r.label, minMsat: pay.minSendableMsat, maxMsat: pay.maxSendableMsat });
      }
      return { type: 'lnurl', target: r.target, to: r.label, msat: cmd.msat, comment: cmd.memo?.slice(0, pay.commentAllowed) || undefined };
    }
  }
}

/** How a zap target is named in replies. */
function zapLabel(d: DmDeps, target: ZapTarget): string {
  if (target.type === 'profile') return d.labelOf(target.pubkey);
  const code = target.type === 'event' ? nip19.noteEncode(target.id) : `${target.kind}:${target.identifier}`;
  return code.length > 24 ? `${code.slice(0, 12)}…${code.slice(-6)}` : code;
}

async function prepare(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'pay' | 'send' | 'zap' }>): Promise<PreparedPayment | string> {
  if (cmd.type === 'pay') return prepareInvoice(d, s.lang, cmd);
  if (cmd.type === 'send') return prepareSend(d, s, cmd);
  return { type: 'zap', target: cmd.target, to: zapLabel(d, cmd.target), msat: cmd.msat, comment: cmd.comment };
}

function confirmationText(d: DmDeps, lang: Lang, p: PreparedPayment): string {
  switch (p.type) {
    case 'invoice': return t(lang, 'confirm.pay', { msat: p.msat, maxFeeMsat: defaultFeeReserve(d.ctx.config, p.msat), memo: p.memo });
    case 'zap': return t(lang, 'confirm.zap', { msat: p.msat, target: p.to });
    default: return t(lang, 'confirm.send', { msat: p.msat, to: p.to });
  }
}

/** `pay`, `send` and `zap`: pays at once, or asks for "yes" above DM_CONFIRM_ABOVE_MSAT. */
export async function requestPayment(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'pay' | 'send' | 'zap' }>): Promise<Reply> {
  const prepared = await prepare(d, s, cmd);
  if (typeof prepared === 'string') return { text: prepared };
  if (prepared.msat <= d.ctx.config.DM_CONFIRM_ABOVE_MSAT) return executePayment(d, s, s.dmId, prepared);
  await store.holdForConfirmation(d.ctx.sql, { pubkey: s.sender, dmId: s.dmId, payment: toJson(prepared), ttlSeconds: d.ctx.config.DM_CONFIRM_SECONDS });
  return { text: confirmationText(d, s.lang, prepared) };
}

/** `yes` / `no`: runs or drops the payment waiting for this user. */
export async function confirm(d: DmDeps, s: Session, yes: boolean): Promise<Reply> {
  const waiting = await store.takeConfirmation(d.ctx.sql, s.sender);
  if (waiting.state === 'none') return { text: t(s.lang, 'confirm.nothing') };
  if (waiting.state === 'expired') return { text: t(s.lang, 'confirm.expired') };
  if (!yes) return { text: t(s.lang, 'confirm.cancelled') };
  return executePayment(d, s, waiting.dmId, preparedPayment.parse(waiting.payment));
}

/** Runs the Lightning side of a prepared payment; throws what the wallet core or LNURL refused. */
async function payLightning(d: DmDeps, s: Session, dmId: string, p: Exclude<PreparedPayment, { type: 'transfer' }>): Promise<PaymentResult> {
  const idempotencyKey = paymentKey(dmId);
  const waitMs = d.ctx.config.DM_PAY_WAIT_MS;
  switch (p.type) {
    case 'invoice':
      return payInvoice(d.ctx, {
        accountId: s.accountId, idempotencyKey, paymentRequest: p.paymentRequest, amountMsat: p.amountGiven ? p.msat : undefined, waitMs, metadata: metadata(s),
      });
    case 'lnurl':
      return (await sendZap(d.ctx, d.zaps, {
        payerAccountId: s.accountId, idempotencyKey, route: { route: 'external', target: p.target }, amountMsat: p.msat, comment: p.comment, relays: [], waitMs,
      })).payment;
    case 'zap':
      return (await zapFromUser(d.ctx, { userPubkey: s.sender, target: p.target, amountMsat: p.msat, comment: p.comment, idempotencyKey: dmId }, d.zaps)).payment;
  }
}

/** Why a payment was refused, in the user's words; rethrows what is not the user's doing. */
async function refusalText(d: DmDeps, s: Session, p: PreparedPayment, err: unknown): Promise<string> {
  // LNURL and zap refusals come from `send` to an address and from `zap`, which name a recipient.
  const to = p.type === 'invoice' ? '' : p.to;
  if (err instanceof LnurlError) return t(s.lang, 'send.lnurl-failed', { address: to });
  if (err instanceof ZapError) {
    if (err.code === 'self_zap') return t(s.lang, 'error.payment.self_payment');
    if (err.code === 'event_not_found') return t(s.lang, 'zap.not-found', { target: to });
    if (err.code === 'unknown_recipient') return t(s.lang, 'send.not-found', { address: to });
    throw err;
  }
  const needed = p.type === 'transfer' ? p.msat : p.msat + defaultFeeReserve(d.ctx.config, p.msat);
  return paymentErrorText(d, s, err, needed, p.msat);
}

/** Runs a prepared payment; `dmId` is the command's DM (not the "yes"), for the idempotency key. */
async function executePayment(d: DmDeps, s: Session, dmId: string, p: PreparedPayment): Promise<Reply> {
  let result: PaymentResult;
  try {
    if (p.type === 'transfer') {
      await transfer(d.ctx, { fromAccountId: s.accountId, toAccountId: p.toAccountId, amountMsat: p.msat, memo: p.memo, idempotencyKey: paymentKey(dmId), metadata: metadata(s) });
      return { text: t(s.lang, 'send.sent', { msat: p.msat, to: p.to }) };
    }
    result = await payLightning(d, s, dmId, p);
  } catch (err) {
    return { text: await refusalText(d, s, p, err) };
  }
  if (result.status === 'succeeded' && p.type === 'lnurl') return { text: t(s.lang, 'send.sent', { msat: p.msat, to: p.to, feeMsat: result.feeMsat }) };
  if (result.status === 'succeeded' && p.type === 'zap') return { text: t(s.lang, 'zap.sent', { msat: p.msat, target: p.to }) };
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
