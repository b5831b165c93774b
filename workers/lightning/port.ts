// The Lightning port: what the payment engine needs from a Lightning node, whichever node it
// is. Adapters: `lnd.ts` (LND over gRPC via the `lightning` package) and `fake.ts` (embedded,
// regtest only). Amounts are millisatoshi bigints; hashes, preimages and keys are lower-case hex.

import { CodedError } from '../../core/errors.ts';
import type { DecodedInvoice, Network, PaymentFailureReason } from '../../core/lightning/types.ts';

export interface NodeInfo {
  pubkey: string;
  alias: string;
  network: Network;
  blockHeight: number;
  syncedToChain: boolean;
}

export interface CreateInvoiceRequest {
  /** Absent for an amountless invoice. */
  amountMsat?: bigint;
  /** Exactly one of description or descriptionHash (hex sha256), or neither. */
  description?: string;
  descriptionHash?: string;
  expirySeconds: number;
}

export interface CreateHoldInvoiceRequest extends CreateInvoiceRequest {
  /** The payer's preimage stays unknown to us until settleHoldInvoice. */
  paymentHash: string;
  /** Blocks the final hop's HTLC must leave us to settle (LND's cltv_expiry). */
  cltvExpiry?: number;
}

export type InvoiceState = 'open' | 'accepted' | 'settled' | 'canceled';

export interface Invoice {
  paymentHash: string;
  paymentRequest: string;
  amountMsat?: bigint;
  /** What was actually received; may exceed amountMsat (overpayment) or fill an amountless one. */
  receivedMsat: bigint;
  state: InvoiceState;
  isHold: boolean;
  preimage?: string;
  description?: string;
  descriptionHash?: string;
  createdAt: Date;
  expiresAt: Date;
  settledAt?: Date;
  /** Monotonic index of settlement on the node; subscriptions resume after it. */
  settleIndex?: bigint;
}

export interface PayInvoiceRequest {
  paymentRequest: string;
  /** Only for amountless invoices. */
  amountMsat?: bigint;
  maxFeeMsat: bigint;
  timeoutSeconds: number;
}

export interface KeysendRequest {
  destination: string;
  amountMsat: bigint;
  maxFeeMsat: bigint;
  timeoutSeconds: number;
  /** Chosen by the caller so that a retry pays the same hash (idempotent). */
  preimage: string;
  /** Extra TLV records, type (decimal string) → hex value. */
  tlvRecords?: Record<string, string>;
}

/** A payment's outcome as the node knows it. `pending` is never a failure. */
export type PaymentStatus =
  | { status: 'succeeded'; paymentHash: string; preimage: string; amountMsat: bigint; feeMsat: bigint }
  | { status: 'failed'; paymentHash: string; reason: PaymentFailureReason; message?: string }
  | { status: 'pending'; paymentHash: string }
  /** The node has no record of it, or only an earlier payment's failure: it never left (safe to send; the node dedupes by hash). */
  | { status: 'unknown'; paymentHash: string };

export interface Balances {
  /** Sum of local channel balances we can spend. */
  channelLocalMsat: bigint;
  /** Sum of remote channel balances (inbound capacity). */
  channelRemoteMsat: bigint;
  onchainConfirmedSat: bigint;
}

export interface Subscription {
  close(): void;
}

export interface LightningBackend {
  readonly kind: 'lnd' | 'fake';
  getInfo(): Promise<NodeInfo>;
  createInvoice(req: CreateInvoiceRequest): Promise<Invoice>;
  createHoldInvoice(req: CreateHoldInvoiceRequest): Promise<Invoice>;
  settleHoldInvoice(preimage: string): Promise<void>;
  cancelHoldInvoice(paymentHash: string): Promise<void>;
  decodeInvoice(paymentRequest: string): Promise<DecodedInvoice>;
  /** Waits for a final outcome up to timeoutSeconds, then reports `pending`. Paying a hash
   * that is already in flight or paid reports that payment instead of paying again. */
  payInvoice(req: PayInvoiceRequest): Promise<PaymentStatus>;
  keysend(req: KeysendRequest): Promise<PaymentStatus>;
  /**
   * The node's latest payment of this hash. A failure of a payment the node began before
   * `sentSince` belongs to an earlier payment of the hash (the node takes a failed hash again
   * as a new payment) and is reported as `unknown`: the caller's send has not reached the node.
   */
  lookupPayment(paymentHash: string, sentSince?: Date): Promise<PaymentStatus>;
  lookupInvoice(paymentHash: string): Promise<Invoice | undefined>;
  /** Invoice updates (settled, accepted, canceled) after `afterSettleIndex`, replaying the
   * settlements missed while not subscribed; 0 replays nothing ("from now on", as on lnd).
   * `onUpdate` is awaited before the next update is delivered. After `onError` the
   * subscription is closed: the caller subscribes again from its own stored index. */
  subscribeInvoices(afterSettleIndex: bigint, onUpdate: (invoice: Invoice) => Promise<void>, onError: (err: Error) => void): Subscription;
  getBalances(): Promise<Balances>;
  close(): Promise<void>;
}

/** Errors the engine can act on; everything else is an unexpected backend error. */
export class LightningError extends CodedError<'invalid_invoice' | 'wrong_network' | 'expired' | 'duplicate' | 'not_found' | 'unavailable' | 'invalid_request'> {
  override name = 'LightningError';
}
