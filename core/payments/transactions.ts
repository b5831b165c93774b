// Payments and invoices as holders see them: one row per account and direction (an invoice we
// issued, a payment we send, each side of a transfer), with history and domain events.
import type { Db } from '../ledger/ledger.ts';
import type { Tx } from '../db.ts';
import { recordEvent } from '../events.ts';
import type { PaymentEventInput, PaymentEventType } from './events.ts';

export type Direction = 'incoming' | 'outgoing';
/** Lightning's kinds and the ledger's own (internal, transfer); each rail adds its own (core/payments/rails.ts). */
export type TransactionKind = 'lightning' | 'internal' | 'keysend' | 'transfer' | (string & {});
/** `expired` is an open invoice past its expiry (stored as open). */
export type TransactionStatus = 'open' | 'accepted' | 'pending' | 'succeeded' | 'failed' | 'canceled' | 'expired';

export interface Transaction {
  id: string;
  accountId: string;
  direction: Direction;
  kind: TransactionKind;
  /** The rail that moves it outside the ledger; absent for moves inside it (transfers, our own invoices paid internally). */
  rail?: string;
  /** The rail's own reference (a txid:vout, a mint quote id, a card id) and what else it records. */
  railRef?: string;
  railData?: Record<string, unknown>;
  status: TransactionStatus;
  idempotencyKey: string;
  /** Absent for an amountless invoice not yet paid; for a received one, what was received. */
  amountMsat?: bigint;
  feeMsat: bigint;
  feeReserveMsat: bigint;
  paymentHash?: string;
  preimage?: string;
  paymentRequest?: string;
  destination?: string;
  description?: string;
  descriptionHash?: string;
  memo?: string;
  metadata?: Record<string, unknown>;
  isHold: boolean;
  counterpartyAccountId?: string;
  failureReason?: string;
  failureMessage?: string;
  createdAt: Date;
  expiresAt?: Date;
  settledAt?: Date;
  /** Position in the account's history (for cursors). */
  seq: bigint;
}

export interface TransactionRow {
  id: string; seq: bigint; account_id: string; direction: Direction; kind: TransactionKind; rail: string | null; rail_ref: string | null;
  rail_data: Record<string, unknown> | null; status: Exclude<TransactionStatus, 'expired'>;
  idempotency_key: string; amount_msat: bigint | null; fee_msat: bigint; fee_reserve_msat: bigint; payment_hash: string | null;
  preimage: string | null; payment_request: string | null; destination: string | null; description: string | null;
  description_hash: string | null; memo: string | null; metadata: Record<string, unknown> | null; is_hold: boolean;
  counterparty_account_id: string | null; failure_reason: string | null; failure_message: string | null; attempts: number;
  created_at: Date; expires_at: Date | null; settled_at: Date | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function toTransaction(r: TransactionRow): Transaction {
  const expired = r.status === 'open' && r.expires_at !== null && r.expires_at.getTime() <= Date.now();
  return {
    id: r.id, accountId: r.account_id, direction: r.direction, kind: r.kind, rail: opt(r.rail), railRef: opt(r.rail_ref),
    railData: opt(r.rail_data), status: expired ? 'expired' : r.status,
    idempotencyKey: r.idempotency_key, amountMsat: opt(r.amount_msat), feeMsat: r.fee_msat, feeReserveMsat: r.fee_reserve_msat,
    paymentHash: opt(r.payment_hash), preimage: opt(r.preimage), paymentRequest: opt(r.payment_request), destination: opt(r.destination),
    description: opt(r.description), descriptionHash: opt(r.description_hash), memo: opt(r.memo), metadata: opt(r.metadata),
    isHold: r.is_hold, counterpartyAccountId: opt(r.counterparty_account_id), failureReason: opt(r.failure_reason),
    failureMessage: opt(r.failure_message), createdAt: r.created_at, expiresAt: opt(r.expires_at), settledAt: opt(r.settled_at), seq: r.seq,
  };
}

export async function getTransaction(db: Db, id: string): Promise<Transaction | undefined> {
  const [row] = await db<TransactionRow[]>`select * from transactions where id = ${id}`;
  return row && toTransaction(row);
}

export async function findByKey(db: Db, accountId: string, idempotencyKey: string): Promise<Transaction | undefined> {
  const [row] = await db<TransactionRow[]>`select * from transactions where account_id = ${accountId} and idempotency_key = ${idempotencyKey}`;
  return row && toTransaction(row);
}

export interface HistoryQuery {
  accountId: string;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  direction?: Direction;
  from?: Date;
  until?: Date;
  /** Include invoices not (yet) paid: open, expired, canceled. Default false. */
  includeUnpaid?: boolean;
}

/** The account's payments, invoices and transfers, newest first. */
export async function history(db: Db, q: HistoryQuery): Promise<{ items: Transaction[]; nextCursor?: string }> {
  const before = q.cursor && /^\d+$/.test(q.cursor) ? BigInt(q.cursor) : 2n ** 63n - 1n;
  const rows = await db<TransactionRow[]>`
    select * from transactions
    where account_id = ${q.accountId} and seq < ${before}
      ${q.direction ? db`and direction = ${q.direction}` : db``}
      ${q.from ? db`and created_at >= ${q.from}` : db``}
      ${q.until ? db`and created_at <= ${q.until}` : db``}
      ${q.includeUnpaid ? db`` : db`and status not in ('open', 'canceled')`}
    order by seq desc limit ${q.limit}`;
  const items = rows.map(toTransaction);
  return { items, nextCursor: items.length === q.limit ? items.at(-1)!.seq.toString() : undefined };
}

function eventOf(type: PaymentEventType, t: Transaction): PaymentEventInput {
  return {
    type, accountId: t.accountId, transactionId: t.id, kind: t.kind, amountMsat: t.amountMsat ?? 0n, feeMsat: t.feeMsat,
    paymentHash: t.paymentHash, preimage: t.preimage, paymentRequest: t.paymentRequest, description: t.description,
    descriptionHash: t.descriptionHash, memo: t.memo, metadata: t.metadata, counterpartyAccountId: t.counterpartyAccountId,
    railRef: t.railRef, reason: t.failureReason,
  };
}

/** Records the domain events of transactions in the caller's database transaction. */
export function recordTransactionEvents(tx: Tx, ...events: Array<[PaymentEventType, Transaction]>): Promise<void> {
  return recordEvent(tx, ...events.map(([type, t]) => eventOf(type, t)));
}
