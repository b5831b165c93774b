// Lightning's outgoing payments: BOLT 11 invoices and keysend, on the rail-neutral engine
// (core/payments/outgoing.ts: reserve → attempts through the `lightning` queue → settle or
// void). An invoice of our own node is paid inside the ledger.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { Sql } from '../db.ts';
import { GroupCommit, groupCommitPer, oneInFlight } from '../group-commit.ts';
import { post, type Db } from '../ledger/ledger.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import { keyConflict, PaymentError, parseRequest } from '../payments/errors.ts';
import { checkAmount } from '../payments/limits.ts';
import { awaitOutcome, checkOne, mapReserveError, reserve, resultOf, type Guarded, type PaymentResult } from '../payments/outgoing.ts';
import { findByKey, recordTransactionEvents, toTransaction, type Transaction, type TransactionRow } from '../payments/transactions.ts';
import { Bolt11Error, decodeBolt11, type Bolt11 } from './bolt11.ts';
import { checkArgument } from '../risk/limits.ts';
import { lightningRail } from './rail.ts';

/** A Lightning payment's result always names its payment hash. */
export type LightningPaymentResult = PaymentResult & { paymentHash: string };

const withHash = async (result: Promise<PaymentResult> | PaymentResult, paymentHash: string): Promise<LightningPaymentResult> =>
  ({ ...(await result), paymentHash });

const common = {
  accountId: z.uuid(),
  idempotencyKey: z.string().min(1).max(200),
  maxFeeMsat: z.bigint().min(0n).optional(),
  /** How long to wait for the outcome; 0 returns `pending` at once. */
  waitMs: z.number().int().min(0).max(600_000).optional(),
  memo: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
};
const payInvoiceRequest = z.object({ ...common, paymentRequest: z.string().min(1).max(7100), amountMsat: z.bigint().optional() });
const keysendRequest = z.object({
  ...common,
  destination: z.string().regex(/^0[23][0-9a-f]{64}$/, 'must be a compressed public key in hex'),
  amountMsat: z.bigint(),
  tlvRecords: z.record(z.string().regex(/^\d+$/), z.string().regex(/^([0-9a-f]{2})*$/)).optional(),
});

export type PayInvoiceRequest = z.input<typeof payInvoiceRequest> & {
  guard?: Guarded;
  /**
   * Our own invoice, issued for this payment alone (not handed out before): once paid inside the
   * ledger, leave the node's copy to expire instead of a cancel job per payment (paid from
   * outside all the same, it would be credited to its account like any invoice).
   */
  keepNodeInvoice?: boolean;
};
export type KeysendRequest = z.input<typeof keysendRequest> & { guard?: Guarded };

function decode(paymentRequest: string): Bolt11 {
  try {
    return decodeBolt11(paymentRequest);
  } catch (err) {
    if (err instanceof Bolt11Error) throw new PaymentError('invalid_invoice', err.message);
    throw err;
  }
}

/** Checks an invoice before anything is reserved; returns the amount to pay. */
function validateInvoice(ctx: Context, invoice: Bolt11, amountMsat?: bigint): bigint {
  if (invoice.network !== ctx.config.NETWORK) throw new PaymentError('wrong_network', `the invoice is for ${invoice.network}, this service runs on ${ctx.config.NETWORK}`);
  if (invoice.expiresAt.getTime() <= Date.now()) throw new PaymentError('expired', 'the invoice has expired');
  if (invoice.amountMsat !== undefined && amountMsat !== undefined && amountMsat !== invoice.amountMsat) {
    throw new PaymentError('amount_mismatch', `the invoice asks for ${invoice.amountMsat} msat, not ${amountMsat}`);
  }
  const amount = invoice.amountMsat ?? amountMsat;
  if (amount === undefined) throw new PaymentError('amount_required', 'the invoice has no amount: give one');
  checkAmount(ctx.config, amount);
  return amount;
}

interface Lookup { account: string; key: string; hash: string; request: string }

/**
 * The look before paying an invoice, for: this request before, this invoice paid by the
 * account before, our own invoice. Batched as the writes are (one statement for the payments
 * arriving together).
 */
const lookupsOf = groupCommitPer((sql: Sql) => new GroupCommit<Lookup, TransactionRow[]>(async (items) => {
  const rows = await sql<Array<TransactionRow & { n: bigint }>>`
    select i.n, t.* from rows from (jsonb_to_recordset(${sql.json(items as never)}) as (account uuid, key text, hash text, request text))
        with ordinality as i (account, key, hash, request, n)
      join transactions t on (t.account_id = i.account and t.idempotency_key = i.key)
        or (t.account_id = i.account and t.direction = 'outgoing' and t.payment_hash = i.hash and t.status <> 'failed')
        or (t.direction = 'incoming' and t.kind = 'lightning' and t.payment_request = i.request)`;
  return items.map((_, i) => rows.filter((r) => r.n === BigInt(i + 1)));
}, oneInFlight));

/** Pays a BOLT 11 invoice. Repeating a request (same key, or same invoice) returns the first result. */
export async function payInvoice(ctx: Context, req: PayInvoiceRequest): Promise<LightningPaymentResult> {
  const { guard, keepNodeInvoice, ...rest } = req;
  const r = parseRequest(payInvoiceRequest, rest);
  const invoice = decode(r.paymentRequest);
  const rows = await lookupsOf(ctx.sql).submit({ account: r.accountId, key: r.idempotencyKey, hash: invoice.paymentHash, request: invoice.paymentRequest });
  const sameKey = rows.find((t) => t.account_id === r.accountId && t.idempotency_key === r.idempotencyKey);
  // The same request again returns its result; the key reused for another invoice or amount is refused.
  if (sameKey && (sameKey.direction !== 'outgoing' || sameKey.payment_request !== invoice.paymentRequest
    || (r.amountMsat !== undefined && sameKey.amount_msat !== r.amountMsat))) throw keyConflict();
  const earlier = sameKey ?? rows.find((t) => t.account_id === r.accountId && t.direction === 'outgoing');
  if (earlier) return withHash(awaitOutcome(ctx, lightningRail, toTransaction(earlier), r.waitMs), earlier.payment_hash ?? invoice.paymentHash);
  const amountMsat = validateInvoice(ctx, invoice, r.amountMsat);
  const own = rows.find((t) => t.direction === 'incoming');
  if (own) return withHash(payInternal(ctx, r, own, amountMsat, guard, keepNodeInvoice), invoice.paymentHash);
  const t = await reserve(ctx, lightningRail, {
    account_id: r.accountId, kind: 'lightning', idempotency_key: r.idempotencyKey, amount_msat: amountMsat,
    fee_reserve_msat: r.maxFeeMsat ?? lightningRail.feeReserve(ctx.config, amountMsat), payment_hash: invoice.paymentHash,
    payment_request: invoice.paymentRequest, destination: invoice.destination, description: invoice.description ?? null,
    description_hash: invoice.descriptionHash ?? null, memo: r.memo ?? null, metadata: r.metadata ?? null, expires_at: invoice.expiresAt,
  }, guard);
  return withHash(awaitOutcome(ctx, lightningRail, t, r.waitMs), t.paymentHash!);
}

/** Spontaneous payment to a node; the preimage is ours, so a retry pays the same hash. */
export async function payKeysend(ctx: Context, req: KeysendRequest): Promise<LightningPaymentResult> {
  const { guard, ...rest } = req;
  const r = parseRequest(keysendRequest, rest);
  const existing = await findByKey(ctx.sql, r.accountId, r.idempotencyKey);
  if (existing && (existing.kind !== 'keysend' || existing.destination !== r.destination || existing.amountMsat !== r.amountMsat)) throw keyConflict();
  if (existing) return withHash(awaitOutcome(ctx, lightningRail, existing, r.waitMs), existing.paymentHash ?? '');
  checkAmount(ctx.config, r.amountMsat);
  const preimage = randomBytes(32);
  const t = await reserve(ctx, lightningRail, {
    account_id: r.accountId, kind: 'keysend', idempotency_key: r.idempotencyKey, amount_msat: r.amountMsat,
    fee_reserve_msat: r.maxFeeMsat ?? lightningRail.feeReserve(ctx.config, r.amountMsat), payment_hash: bytesToHex(sha256(preimage)),
    preimage: bytesToHex(preimage), destination: r.destination, memo: r.memo ?? null,
    metadata: r.tlvRecords || r.metadata ? { ...r.metadata, ...(r.tlvRecords && { tlvRecords: r.tlvRecords }) } : null,
  }, guard);
  return withHash(awaitOutcome(ctx, lightningRail, t, r.waitMs), t.paymentHash!);
}

/** Our own node's invoice: a transfer inside the ledger, no Lightning. */
async function payInternal(ctx: Context, r: z.infer<typeof payInvoiceRequest>, invoiceRow: TransactionRow, amountMsat: bigint, guarded?: Guarded, keepNodeInvoice = false): Promise<PaymentResult> {
  if (invoiceRow.account_id === r.accountId) throw new PaymentError('self_payment', 'this is your own invoice');
  if (invoiceRow.is_hold) throw new PaymentError('not_supported', 'hold invoices of this service cannot be paid from inside it');
  let t: Transaction;
  try {
    t = await ctx.sql.begin(async (tx) => {
      const [inv] = await tx<TransactionRow[]>`select * from transactions where id = ${invoiceRow.id} for update`;
      if (inv!.status !== 'open') {
        // The same request made at the same time (two runs of one job) may have paid it while
        // this one waited for the lock: that payment is this request's answer.
        const [same] = await tx<TransactionRow[]>`select * from transactions where account_id = ${r.accountId} and idempotency_key = ${r.idempotencyKey}`;
        if (same?.direction === 'outgoing' && same.payment_hash === inv!.payment_hash) return toTransaction(same);
        throw new PaymentError('already_paid', `the invoice is ${inv!.status === 'succeeded' ? 'paid already' : inv!.status}`);
      }
      if (inv!.expires_at && inv!.expires_at.getTime() <= Date.now()) throw new PaymentError('expired', 'the invoice has expired');
      const [payer] = await tx<TransactionRow[]>`
        insert into transactions (account_id, direction, kind, status, idempotency_key, amount_msat, payment_hash, preimage,
          payment_request, description, description_hash, memo, metadata, counterparty_account_id, settled_at)
        values (${r.accountId}, 'outgoing', 'internal', 'succeeded', ${r.idempotencyKey}, ${amountMsat}, ${inv!.payment_hash},
          ${inv!.preimage}, ${inv!.payment_request}, ${inv!.description}, ${inv!.description_hash}, ${r.memo ?? null},
          ${r.metadata ? tx.json(r.metadata as never) : null}, ${inv!.account_id}, now())
        returning *`;
      const [paid] = await tx<TransactionRow[]>`
        update transactions set status = 'succeeded', amount_msat = ${amountMsat}, settled_at = now(), counterparty_account_id = ${r.accountId}
        where id = ${inv!.id} returning *`;
      const sent = toTransaction(payer!);
      await recordTransactionEvents(tx, ['payment.sent', sent], ['payment.received', toTransaction(paid!)]);
      // The ledger last: it locks the payer's balance row until commit, and one payer's
      // payments (a business batch) wait for each other there.
      await post(tx, {
        idempotencyKey: `internal:${inv!.payment_hash}`, kind: 'payment.internal', ref: payer!.id,
        postings: [{ accountId: r.accountId, amountMsat: -amountMsat }, { accountId: inv!.account_id, amountMsat }],
      });
      // The guard after the ledger, as in a batch of reserves: balance rows, then what the
      // guard locks (a wallet connection), so the two paths never wait for each other in turn.
      await tx`select risk_check_ids(${[payer!.id]}::uuid[], ${checkArgument(ctx.config)}::text::jsonb)`;
      if (guarded) await checkOne(tx, payer!, guarded);
      return sent;
    });
  } catch (err) {
    if (err instanceof PaymentError) throw err;
    t = await mapReserveError(ctx, err, { account_id: r.accountId, idempotency_key: r.idempotencyKey, payment_hash: invoiceRow.payment_hash! });
    return resultOf(t);
  }
  void publishCommitted(ctx);
  if (keepNodeInvoice) return resultOf(t);
  // The node's copy must not be paid again from outside; best effort, it expires anyway.
  await ctx.bus.enqueue('lightning.cancelInvoice', { paymentHash: t.paymentHash! }, { id: `cancel:${invoiceRow.id}` })
    .catch((err: unknown) => ctx.log.warn({ err }, 'could not cancel an invoice paid internally'));
  return resultOf(t);
}

export async function lookupPayment(db: Db, q: { accountId: string; paymentHash: string }): Promise<Transaction | undefined> {
  const [row] = await db<TransactionRow[]>`
    select * from transactions where account_id = ${q.accountId} and direction = 'outgoing' and payment_hash = ${q.paymentHash}
    order by seq desc limit 1`;
  return row && toTransaction(row);
}
