// Money-moving commands: `pay` and `send` become a prepared payment (checked, recipient
// resolved), which large amounts park for a "yes", then run through the wallet core with an
// idempotency key derived from the command's DM id, so a repeat never pays twice.
import { z } from 'zod';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { Bolt11Error, decodeBolt11 } from '../../core/payments/bolt11.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { defaultFeeReserve } from '../../core/payments/limits.ts';
import { payInvoice, type PaymentResult } from '../../core/payments/pay.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { t, type FailureReason, type Lang } from './i18n/index.ts';
import type { Command } from './commands.ts';
import { resolveRecipient } from './recipients.ts';
import type { DmDeps, Reply, Session } from './session.ts';
import * as store from './store.ts';

const msat = z.union([z.bigint(), z.string().regex(/^\d+$/).transform(BigInt)]);
/** What a confirmed command will do; stored as JSON while it waits for "yes". */
const preparedPayment = z.discriminatedUnion('type', [
  z.object({ type: z.literal('invoice'), paymentRequest: z.string(), msat, amountGiven: z.boolean(), memo: z.string().optional() }),
  z.object({ type: z.literal('transfer'), toAccountId: z.uuid(), to: z.string(), msat, memo: z.string().optional() }),
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
    case 'wrong_network': case 'invalid_request': case 'not_found':
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
  }
}

/** `pay` and `send`: pays at once, or asks for "yes" above DM_CONFIRM_ABOVE_MSAT. */
export async function requestPayment(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'pay' | 'send' }>): Promise<Reply> {
  const prepared = cmd.type === 'pay' ? prepareInvoice(d, s.lang, cmd) : await prepareSend(d, s, cmd);
  if (typeof prepared === 'string') return { text: prepared };
  if (prepared.msat <= d.ctx.config.DM_CONFIRM_ABOVE_MSAT) return executePayment(d, s, s.dmId, prepared);
  await store.holdForConfirmation(d.ctx.sql, { pubkey: s.sender, dmId: s.dmId, payment: toJson(prepared), ttlSeconds: d.ctx.config.DM_CONFIRM_SECONDS });
  const text = prepared.type === 'invoice'
    ? t(s.lang, 'confirm.pay', { msat: prepared.msat, maxFeeMsat: defaultFeeReserve(d.ctx.config, prepared.msat), memo: prepared.memo })
    : t(s.lang, 'confirm.send', { msat: prepared.msat, to: prepared.to });
  return { text };
}

/** `yes` / `no`: runs or drops the payment waiting for this user. */
export async function confirm(d: DmDeps, s: Session, yes: boolean): Promise<Reply> {
  const waiting = await store.takeConfirmation(d.ctx.sql, s.sender);
  if (waiting.state === 'none') return { text: t(s.lang, 'confirm.nothing') };
  if (waiting.state === 'expired') return { text: t(s.lang, 'confirm.expired') };
  if (!yes) return { text: t(s.lang, 'confirm.cancelled') };
  return executePayment(d, s, waiting.dmId, preparedPayment.parse(waiting.payment));
}

/** Runs a prepared payment; `dmId` is the command's DM (not the "yes"), for the idempotency key. */
async function executePayment(d: DmDeps, s: Session, dmId: string, p: PreparedPayment): Promise<Reply> {
  const idempotencyKey = paymentKey(dmId);
  if (p.type === 'transfer') {
    try {
      await transfer(d.ctx, { fromAccountId: s.accountId, toAccountId: p.toAccountId, amountMsat: p.msat, memo: p.memo, idempotencyKey, metadata: metadata(s) });
    } catch (err) {
      return { text: await paymentErrorText(d, s, err, p.msat) };
    }
    return { text: t(s.lang, 'send.sent', { msat: p.msat, to: p.to }) };
  }
  let result: PaymentResult;
  try {
    result = await payInvoice(d.ctx, {
      accountId: s.accountId, idempotencyKey, paymentRequest: p.paymentRequest, amountMsat: p.amountGiven ? p.msat : undefined,
      waitMs: d.ctx.config.DM_PAY_WAIT_MS, metadata: metadata(s),
    });
  } catch (err) {
    return { text: await paymentErrorText(d, s, err, p.msat + defaultFeeReserve(d.ctx.config, p.msat), p.msat) };
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

/** Sends a finished payment's outcome to whoever was told it was in flight, once. */
export async function tellOutcome(d: DmDeps, tx: Transaction): Promise<void> {
  const waiting = await store.claimOutcome(d.ctx.sql, tx.id);
  if (!waiting) return;
  const { lang } = await d.userSettings(waiting.pubkey);
  const text = tx.status === 'succeeded'
    ? t(lang, 'payment.sent', { msat: tx.amountMsat ?? 0n, feeMsat: tx.feeMsat, preimage: tx.preimage })
    : t(lang, 'payment.failed', { reason: tx.failureReason as FailureReason | undefined });
  await d.messenger.send(waiting.pubkey, waiting.scheme, text, waiting.dmId);
}

/** The sender of an internal transfer as its receiver should see them. */
export async function senderLabel(d: DmDeps, accountId: string | undefined): Promise<string> {
  const account = accountId ? await accounts.get(d.ctx.sql, accountId) : undefined;
  return account?.pubkey ? d.labelOf(account.pubkey) : (account?.name ?? '?');
}
