// One handler per NIP-47 method, over the wallet core. Every side effect is keyed by the
// request event id (`nwc:<id>`), so running a request again (after a crash) repeats nothing.
// A handler returns the result object, throws Nip47Error/PaymentError, or returns `later`
// for a payment whose outcome is not known yet (answered when it completes).
import type { Context } from '../../core/context.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { Bolt11Error, decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { cancelHoldInvoice, createHoldInvoice, createInvoice, lookupInvoice, settleHoldInvoice } from '../../core/lightning/invoices.ts';
import { lookupPayment, payInvoice, payKeysend } from '../../core/lightning/pay.ts';
import type { PaymentResult } from '../../core/payments/outgoing.ts';
import { toTransaction, type TransactionRow } from '../../core/payments/transactions.ts';
import { budgetGuard, periodStart, renewsAt, usedBudget } from './budget.ts';
import type { Connection } from './connections.ts';
import { methods, Nip47Error, notificationTypes, seconds, stringifyJson, toNip47Transaction, type Method, type Params } from './nip47.ts';

export interface Request {
  ctx: Context;
  connection: Connection;
  eventId: string;
  /** Told a payment's transaction when its pay_* request ends with the outcome known. */
  settled?: (transactionId: string) => void;
}

/** A payment still in flight: the answer comes when it completes. */
export const later = Symbol('later');
export type HandlerResult = Record<string, unknown> | typeof later;

const keyOf = (r: Request) => `nwc:${r.eventId}`;

/**
 * The pay_* answer for a finished payment; throws PAYMENT_FAILED for a failed one, naming only
 * its reason: the node's own message (kept on the transaction) is not for the app.
 */
export function payAnswer(p: PaymentResult): HandlerResult {
  if (p.status === 'pending') return later;
  if (p.status === 'failed') throw new Nip47Error('PAYMENT_FAILED', `payment failed: ${p.reason}`);
  return { preimage: p.preimage, fees_paid: p.feeMsat };
}

/** The answer of a pay_* request, telling the service when it is final. */
function paid(r: Request, p: PaymentResult): HandlerResult {
  if (p.status !== 'pending') r.settled?.(p.transactionId);
  return payAnswer(p);
}

const payOptions = (r: Request) => ({
  accountId: r.connection.walletAccountId,
  idempotencyKey: keyOf(r),
  waitMs: r.ctx.config.NWC_PAY_WAIT_SECONDS * 1000,
  guard: { guard: budgetGuard, data: { connectionId: r.connection.id, eventId: r.eventId } },
});

/** Both invoice methods: a description hash wins over a description (an invoice carries one). */
const invoiceRequest = (r: Request, p: Params<'make_invoice'>) => ({
  accountId: r.connection.walletAccountId,
  idempotencyKey: keyOf(r),
  amountMsat: p.amount > 0n ? p.amount : undefined,
  ...(p.description_hash ? { descriptionHash: p.description_hash } : { description: p.description }),
  expirySeconds: p.expiry,
  metadata: p.metadata,
});

/** BTCPay's NWC plugin polls with 300; the character cap below still bounds the answer. */
const LIST_MAX = 300;
/** Relays refuse large events; a page is cut to fit in this many characters. */
const LIST_MAX_CHARS = 60_000;

type Handlers = { [M in Method]: (r: Request, p: Params<M>) => Promise<HandlerResult> };

export const handlers: Handlers = {
  async pay_invoice(r, p) {
    return paid(r, await payInvoice(r.ctx, { ...payOptions(r), paymentRequest: p.invoice, amountMsat: p.amount, metadata: p.metadata }));
  },

  async pay_keysend(r, p) {
    // The payment engine chooses keysend preimages itself, so that a retry pays the same hash.
    if (p.preimage) throw new Nip47Error('NOT_IMPLEMENTED', 'keysend with a preimage of your choice is not supported; leave preimage out');
    const tlvRecords = p.tlv_records && Object.fromEntries(p.tlv_records.map((t) => [t.type.toString(), t.value.toLowerCase()]));
    return paid(r, await payKeysend(r.ctx, { ...payOptions(r), destination: p.pubkey, amountMsat: p.amount, tlvRecords, metadata: p.metadata }));
  },

  async make_invoice(r, p) {
    return toNip47Transaction(await createInvoice(r.ctx, invoiceRequest(r, p)));
  },

  async make_hold_invoice(r, p) {
    return toNip47Transaction(await createHoldInvoice(r.ctx, { ...invoiceRequest(r, p), paymentHash: p.payment_hash }));
  },

  async settle_hold_invoice(r, p) {
    await settleHoldInvoice(r.ctx, { accountId: r.connection.walletAccountId, preimage: p.preimage });
    return {};
  },

  async cancel_hold_invoice(r, p) {
    await cancelHoldInvoice(r.ctx, { accountId: r.connection.walletAccountId, paymentHash: p.payment_hash });
    return {};
  },

  async lookup_invoice(r, p) {
    let paymentHash = p.payment_hash;
    if (!paymentHash) {
      try {
        paymentHash = decodeBolt11(p.invoice!).paymentHash;
      } catch (err) {
        if (err instanceof Bolt11Error) throw new Nip47Error('OTHER', `invalid invoice: ${err.message}`);
        throw err;
      }
    }
    const q = { accountId: r.connection.walletAccountId, paymentHash };
    const t = (await lookupInvoice(r.ctx.sql, q)) ?? (await lookupPayment(r.ctx.sql, q));
    if (!t) throw new Nip47Error('NOT_FOUND', 'no invoice or payment with this payment hash in this wallet');
    return toNip47Transaction(t);
  },

  async list_transactions(r, p) {
    const sql = r.ctx.readSql;
    const where = sql`account_id = ${r.connection.walletAccountId}
      ${p.from !== undefined ? sql`and created_at >= to_timestamp(${p.from})` : sql``}
      ${p.until !== undefined ? sql`and created_at <= to_timestamp(${p.until})` : sql``}
      ${p.type ? sql`and direction = ${p.type}` : sql``}
      ${p.unpaid ? sql`` : sql`and status not in ('open', 'canceled')`}`;
    const limit = Math.min(p.limit ?? 20, LIST_MAX);
    const [rows, [count]] = await Promise.all([
      sql<TransactionRow[]>`select * from transactions where ${where} order by seq desc limit ${limit} offset ${p.offset ?? 0}`,
      sql<{ n: bigint }[]>`select count(*)::int8 as n from transactions where ${where}`,
    ]);
    const transactions = rows.map((row) => toNip47Transaction(toTransaction(row)));
    while (transactions.length > 1 && stringifyJson(transactions).length > LIST_MAX_CHARS) transactions.pop();
    return { transactions, total_count: count!.n };
  },

  async get_balance(r) {
    return { balance: await balance(r.ctx.sql, r.connection.walletAccountId) };
  },

  async get_info(r) {
    const c = r.connection;
    return {
      alias: r.ctx.config.NWC_NAME,
      color: '#f7931a',
      pubkey: c.servicePubkey,
      network: r.ctx.config.NETWORK,
      methods: methods.filter((m) => c.scopes.includes(m)),
      notifications: c.scopes.includes('notifications') ? [...notificationTypes] : [],
      ...(c.lud16 && { lud16: c.lud16 }),
    };
  },

  async get_budget(r) {
    const c = r.connection;
    if (c.budgetMsat === undefined) return {};
    const now = new Date();
    const renews = renewsAt(c.renewal, now);
    return {
      used_budget: await usedBudget(r.ctx.sql, c.id, periodStart(c.renewal, now)),
      total_budget: c.budgetMsat,
      ...(renews && { renews_at: seconds(renews) }),
      renewal_period: c.renewal,
    };
  },
};
