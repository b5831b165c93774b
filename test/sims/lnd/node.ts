// One simulated LND node: identity key, invoice registry (regular, hold, keysend), outgoing
// payments with LND's dedupe rules, one channel to the network's routing hub, and faults to
// inject. Kept in lnd's terms (states, indices, error texts) so the gRPC layer only shapes messages.
import { createHash, randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeRequest, parseRequest } from './bolt11.ts';
import { lndErrors } from './errors.ts';
import { defaultMacaroons, MacaroonService } from './macaroons.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const nowSec = () => Math.floor(Date.now() / 1000);
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** TLV type that carries a keysend preimage. */
export const keysendRecord = '5482373484';
export const blockHeight = 200;
const defaultExpirySeconds = 86_400;
const defaultCltvDelta = 80;

export type InvoiceState = 'OPEN' | 'SETTLED' | 'CANCELED' | 'ACCEPTED';
export type FailureReason =
  | 'FAILURE_REASON_TIMEOUT' | 'FAILURE_REASON_NO_ROUTE' | 'FAILURE_REASON_ERROR'
  | 'FAILURE_REASON_INCORRECT_PAYMENT_DETAILS' | 'FAILURE_REASON_INSUFFICIENT_BALANCE' | 'FAILURE_REASON_CANCELED';

export interface InvoiceHtlc {
  chanId: string;
  htlcIndex: bigint;
  amountMsat: bigint;
  acceptTime: number;
  resolveTime: number;
  state: 'ACCEPTED' | 'SETTLED' | 'CANCELED';
  customRecords: Record<string, Buffer>;
}

type HtlcOutcome = { preimage: Buffer } | { failed: true };

export interface SimInvoice {
  hash: Buffer;
  preimage?: Buffer;
  memo: string;
  descriptionHash: Buffer;
  valueMsat: bigint;
  paymentRequest: string;
  paymentAddr: Buffer;
  createdAt: number;
  expiry: number;
  cltvExpiry: number;
  addIndex: bigint;
  settleIndex: bigint;
  settleDate: number;
  state: InvoiceState;
  amtPaidMsat: bigint;
  htlcs: InvoiceHtlc[];
  isKeysend: boolean;
  isHold: boolean;
  /** A held HTLC waits on this until the invoice is settled or canceled. */
  resolveHeld?: (outcome: HtlcOutcome) => void;
}

export interface Hop {
  chanId: string;
  pubkey: string;
  forwardMsat: bigint;
  feeMsat: bigint;
  expiry: number;
  paymentAddr?: Buffer;
  totalMsat?: bigint;
  customRecords: Record<string, Buffer>;
}

export interface Attempt {
  id: bigint;
  status: 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED';
  hops: Hop[];
  attemptNs: bigint;
  resolveNs: bigint;
  preimage?: Buffer;
}

export interface SimPayment {
  hash: string;
  request: string;
  valueMsat: bigint;
  feeMsat: bigint;
  status: 'INITIATED' | 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED';
  preimage?: string;
  failureReason: FailureReason | 'FAILURE_REASON_NONE';
  createdNs: bigint;
  index: bigint;
  htlcs: Attempt[];
}

/** A payment as SendPaymentV2 understands it after validating the request. */
export interface PaymentIntent {
  hash: string;
  request: string;
  destination: string;
  amountMsat: bigint;
  feeLimitMsat: bigint;
  paymentAddr?: Buffer;
  customRecords: Record<string, Buffer>;
  finalCltvDelta: number;
}

export type Fault = { kind: 'fail'; reason: FailureReason } | { kind: 'hang' };
type Release = (outcome: { succeed: true } | { succeed: false; reason: FailureReason }) => void;

/** What a node needs from the network around it: other nodes and the hub's fee policy. */
export interface Network {
  readonly name: string;
  readonly hubPubkey: string;
  node(pubkey: string): SimNode | undefined;
  routingFee(amountMsat: bigint): bigint;
}

export interface InvoiceArgs {
  memo: string;
  valueMsat: bigint;
  descriptionHash: Buffer;
  expiry: number;
  cltvExpiry: number;
  preimage?: Buffer;
  hash?: Buffer;
}

export class SimNode {
  readonly alias: string;
  readonly secretKey: Uint8Array;
  readonly pubkey: string;
  readonly chanId: string;
  /** This node's root key: bakes macaroons and checks every call's. */
  readonly macaroons = new MacaroonService();
  /** admin.macaroon, as lnd writes it at start-up. */
  readonly macaroon = this.macaroons.bake(defaultMacaroons.admin);
  readonly network: Network;
  readonly capacityMsat: bigint;
  /** Our side of the channel to the hub; the rest of the capacity is the hub's (our inbound). */
  localMsat: bigint;
  /** Sent in HTLCs not yet settled or failed. */
  inflightMsat = 0n;
  onchainSat: bigint;
  readonly invoices = new Map<string, SimInvoice>();
  readonly payments = new Map<string, SimPayment>();
  readonly invoiceListeners = new Set<(invoice: SimInvoice) => void>();
  readonly paymentListeners = new Set<(payment: SimPayment) => void>();
  /** Ends each open SubscribeInvoices stream (server.ts registers one per stream). */
  readonly invoiceStreamEnds = new Set<() => void>();
  /** While true, SubscribeInvoices is refused as by an lnd that is restarting. */
  invoiceStreamsDown = false;
  private addIndex = 0n;
  private settleIndex = 0n;
  private paymentIndex = 0n;
  private attemptId = 0n;
  private htlcIndex = 0n;
  private readonly faults: Fault[] = [];
  private readonly sendHolds: Array<{ reached: () => void; released: Promise<void> }> = [];
  private readonly hung = new Map<string, Release>();
  private readonly expiryTimer: NodeJS.Timeout;

  constructor(opts: { alias: string; network: Network; index: number; localMsat: bigint; capacityMsat: bigint; onchainSat: bigint }) {
    this.alias = opts.alias;
    this.network = opts.network;
    this.secretKey = secp256k1.utils.randomSecretKey();
    this.pubkey = Buffer.from(secp256k1.getPublicKey(this.secretKey, true)).toString('hex');
    // short channel id: block 100+index, tx 1, output 0
    this.chanId = ((BigInt(100 + opts.index) << 40n) | (1n << 16n)).toString();
    this.capacityMsat = opts.capacityMsat;
    this.localMsat = opts.localMsat;
    this.onchainSat = opts.onchainSat;
    // lnd cancels open invoices when they expire
    this.expiryTimer = setInterval(() => this.cancelExpired(), 250).unref();
  }

  get remoteMsat(): bigint {
    return this.capacityMsat - this.localMsat;
  }

  close(): void {
    clearInterval(this.expiryTimer);
  }

  // ---- invoices ----

  addInvoice(args: InvoiceArgs, isHold: boolean): SimInvoice {
    if (Buffer.byteLength(args.memo) > 1024) throw lndErrors.memoTooLarge(Buffer.byteLength(args.memo));
    if (args.descriptionHash.length && args.descriptionHash.length !== 32) throw lndErrors.descriptionHashLength(args.descriptionHash.length);
    const preimage = args.preimage?.length ? args.preimage : isHold ? undefined : randomBytes(32);
    if (preimage && preimage.length !== 32) throw lndErrors.preimageLength(preimage.length);
    const hash = args.hash ?? sha256(preimage!);
    if (hash.length !== 32) throw lndErrors.hashLength(hash.length);
    if (this.invoices.has(hash.toString('hex'))) throw lndErrors.duplicateInvoice();
    const createdAt = nowSec();
    const expiry = args.expiry > 0 ? args.expiry : defaultExpirySeconds;
    const cltvExpiry = args.cltvExpiry > 0 ? args.cltvExpiry : defaultCltvDelta;
    const paymentAddr = randomBytes(32);
    const invoice: SimInvoice = {
      hash, preimage, memo: args.memo, descriptionHash: args.descriptionHash, valueMsat: args.valueMsat,
      paymentRequest: encodeRequest(this.secretKey, {
        network: this.network.name, paymentHash: hash, paymentAddr, amountMsat: args.valueMsat, memo: args.memo,
        descriptionHash: args.descriptionHash, createdAt, expirySeconds: expiry, cltvDelta: cltvExpiry,
      }),
      paymentAddr, createdAt, expiry, cltvExpiry, addIndex: ++this.addIndex, settleIndex: 0n, settleDate: 0,
      state: 'OPEN', amtPaidMsat: 0n, htlcs: [], isKeysend: false, isHold,
    };
    this.invoices.set(hash.toString('hex'), invoice);
    this.emitInvoice(invoice);
    return invoice;
  }

  lookupInvoice(hash: Buffer): SimInvoice {
    const invoice = this.invoices.get(hash.toString('hex'));
    if (!invoice) throw lndErrors.invoiceNotFound(status.NOT_FOUND);
    return invoice;
  }

  settleHoldInvoice(preimage: Buffer): void {
    if (preimage.length !== 32) throw lndErrors.preimageLength(preimage.length);
    const invoice = this.invoices.get(sha256(preimage).toString('hex'));
    if (!invoice) throw lndErrors.invoiceNotFound();
    if (invoice.state === 'SETTLED') return; // lnd: settling twice succeeds
    if (invoice.state === 'OPEN') throw lndErrors.invoiceStillOpen();
    if (invoice.state === 'CANCELED') throw lndErrors.invoiceAlreadyCanceled();
    invoice.preimage = preimage;
    this.settle(invoice);
  }

  cancelInvoice(hash: Buffer): void {
    if (hash.length !== 32) throw lndErrors.hashLength(hash.length);
    const invoice = this.invoices.get(hash.toString('hex'));
    if (!invoice) throw lndErrors.invoiceNotFound();
    if (invoice.state === 'SETTLED') throw lndErrors.invoiceAlreadySettled();
    if (invoice.state === 'CANCELED') return;
    this.cancel(invoice);
  }

  /** Invoices by add index, newest first from `offset` (exclusive), as ListInvoices(reversed) pages them. */
  listInvoices(opts: { pendingOnly: boolean; offset: bigint; max: number }): SimInvoice[] {
    const all = [...this.invoices.values()]
      .filter((i) => (!opts.offset || i.addIndex < opts.offset) && (!opts.pendingOnly || i.state === 'OPEN' || i.state === 'ACCEPTED'))
      .sort((a, b) => (a.addIndex < b.addIndex ? -1 : 1));
    return all.slice(Math.max(0, all.length - opts.max));
  }

  invoicesSettledSince(index: bigint): SimInvoice[] {
    if (index === 0n) return []; // lnd replays nothing for index 0
    return [...this.invoices.values()].filter((i) => i.settleIndex > index).sort((a, b) => (a.settleIndex < b.settleIndex ? -1 : 1));
  }

  invoicesAddedSince(index: bigint): SimInvoice[] {
    if (index === 0n) return [];
    return [...this.invoices.values()].filter((i) => i.addIndex > index).sort((a, b) => (a.addIndex < b.addIndex ? -1 : 1));
  }

  /** An incoming HTLC for us, forwarded by the hub. Resolves with the preimage or a failure. */
  async receive(htlc: { hash: Buffer; amountMsat: bigint; paymentAddr?: Buffer; customRecords: Record<string, Buffer> }): Promise<HtlcOutcome> {
    const keysendPreimage = htlc.customRecords[keysendRecord];
    if (keysendPreimage) return this.receiveKeysend(htlc.hash, keysendPreimage, htlc.amountMsat, htlc.customRecords);
    const invoice = this.invoices.get(htlc.hash.toString('hex'));
    const fails = !invoice || invoice.state !== 'OPEN' || htlc.amountMsat < invoice.valueMsat
      || !htlc.paymentAddr?.equals(invoice.paymentAddr) || nowSec() > invoice.createdAt + invoice.expiry;
    if (fails) return { failed: true };
    invoice.htlcs.push(this.htlc(htlc.amountMsat, htlc.customRecords));
    invoice.amtPaidMsat = htlc.amountMsat;
    if (!invoice.isHold) {
      this.settle(invoice);
      return { preimage: invoice.preimage! };
    }
    invoice.state = 'ACCEPTED';
    this.emitInvoice(invoice);
    return new Promise((resolve) => { invoice.resolveHeld = resolve; });
  }

  private receiveKeysend(hash: Buffer, preimage: Buffer, amountMsat: bigint, customRecords: Record<string, Buffer>): HtlcOutcome {
    if (!sha256(preimage).equals(hash) || this.invoices.has(hash.toString('hex'))) return { failed: true };
    const invoice: SimInvoice = {
      hash, preimage, memo: '', descriptionHash: Buffer.alloc(0), valueMsat: amountMsat, paymentRequest: '',
      paymentAddr: Buffer.alloc(32), createdAt: nowSec(), expiry: defaultExpirySeconds, cltvExpiry: defaultCltvDelta,
      addIndex: ++this.addIndex, settleIndex: 0n, settleDate: 0, state: 'OPEN', amtPaidMsat: amountMsat,
      htlcs: [this.htlc(amountMsat, customRecords)], isKeysend: true, isHold: false,
    };
    this.invoices.set(hash.toString('hex'), invoice);
    this.emitInvoice(invoice);
    this.settle(invoice);
    return { preimage };
  }

  private htlc(amountMsat: bigint, customRecords: Record<string, Buffer>): InvoiceHtlc {
    return { chanId: this.chanId, htlcIndex: this.htlcIndex++, amountMsat, acceptTime: nowSec(), resolveTime: 0, state: 'ACCEPTED', customRecords };
  }

  private settle(invoice: SimInvoice): void {
    invoice.state = 'SETTLED';
    invoice.settleIndex = ++this.settleIndex;
    invoice.settleDate = nowSec();
    for (const h of invoice.htlcs) Object.assign(h, { state: 'SETTLED', resolveTime: nowSec() });
    this.localMsat += invoice.amtPaidMsat;
    this.emitInvoice(invoice);
    invoice.resolveHeld?.({ preimage: invoice.preimage! });
  }

  private cancel(invoice: SimInvoice): void {
    invoice.state = 'CANCELED';
    invoice.amtPaidMsat = 0n;
    for (const h of invoice.htlcs) Object.assign(h, { state: 'CANCELED', resolveTime: nowSec() });
    this.emitInvoice(invoice);
    invoice.resolveHeld?.({ failed: true });
  }

  private cancelExpired(): void {
    for (const invoice of this.invoices.values()) {
      if (invoice.state === 'OPEN' && nowSec() > invoice.createdAt + invoice.expiry) this.cancel(invoice);
    }
  }

  private emitInvoice(invoice: SimInvoice): void {
    for (const l of this.invoiceListeners) l(invoice);
  }

  // ---- payments ----

  /** Validates a SendPaymentV2 request the way lnd's router backend does. */
  paymentIntent(req: { request: string; dest: Buffer; hash: Buffer; amountMsat: bigint; feeLimitMsat: bigint; customRecords: Record<string, Buffer>; finalCltvDelta: number }): PaymentIntent {
    if (!req.request) {
      if (req.dest.length !== 33) throw lndErrors.vertexLength(req.dest.length);
      if (req.hash.length !== 32) throw lndErrors.hashLength(req.hash.length);
      if (req.amountMsat <= 0n) throw lndErrors.amountMissing();
      return {
        hash: req.hash.toString('hex'), request: '', destination: req.dest.toString('hex'), amountMsat: req.amountMsat,
        feeLimitMsat: req.feeLimitMsat, customRecords: req.customRecords, finalCltvDelta: req.finalCltvDelta,
      };
    }
    let parsed;
    try {
      parsed = parseRequest(req.request);
    } catch (err) {
      throw lndErrors.invalidPaymentRequest((err as Error).message);
    }
    if (parsed.network !== this.network.name) throw lndErrors.wrongNetwork(this.network.name);
    if (Date.parse(parsed.expires_at) < Date.now()) throw lndErrors.invoiceExpired(new Date(parsed.expires_at));
    const invoiceMsat = BigInt(parsed.mtokens ?? '0');
    if (invoiceMsat === 0n && req.amountMsat === 0n) throw lndErrors.amountRequired();
    if (invoiceMsat > 0n && req.amountMsat > 0n) throw lndErrors.amountNotAllowed();
    return {
      hash: parsed.id, request: req.request, destination: parsed.destination, amountMsat: invoiceMsat || req.amountMsat,
      feeLimitMsat: req.feeLimitMsat, paymentAddr: parsed.payment ? Buffer.from(parsed.payment, 'hex') : undefined,
      customRecords: req.customRecords, finalCltvDelta: parsed.cltv_delta,
    };
  }

  /**
   * lnd's PreparePayment: one payment per hash; only a failed one may be tried again, and that
   * is a new payment (lnd's InitPayment writes new creation info and a new sequence number over
   * the failed one and drops its attempts).
   */
  sendPayment(intent: PaymentIntent): SimPayment {
    const existing = this.payments.get(intent.hash);
    if (existing?.status === 'SUCCEEDED') throw lndErrors.alreadyPaid();
    if (existing && existing.status !== 'FAILED') throw lndErrors.paymentInFlight();
    const payment: SimPayment = {
      hash: intent.hash, request: intent.request, valueMsat: intent.amountMsat, feeMsat: 0n, status: 'INITIATED',
      failureReason: 'FAILURE_REASON_NONE', createdNs: nowNs(), index: ++this.paymentIndex, htlcs: [],
    };
    this.payments.set(intent.hash, payment);
    setImmediate(() => void this.route(payment, intent));
    return payment;
  }

  /**
   * ListPayments: by payment index, ascending; `max` (0: all) after `offset` (exclusive), or the
   * last `max` before it when reversed. Complete (succeeded) payments only unless `incomplete`;
   * `start`/`end` bound the creation date in whole seconds, inclusive (0: unbounded).
   */
  listPayments(opts: { incomplete: boolean; offset: bigint; max: number; reversed: boolean; start: number; end: number }): SimPayment[] {
    const created = (p: SimPayment) => Number(p.createdNs / 1_000_000_000n);
    const all = [...this.payments.values()]
      .filter((p) => (opts.incomplete || p.status === 'SUCCEEDED') && (!opts.start || created(p) >= opts.start) && (!opts.end || created(p) <= opts.end))
      .sort((a, b) => (a.index < b.index ? -1 : 1));
    const max = opts.max || all.length;
    if (!opts.reversed) return all.filter((p) => p.index > opts.offset).slice(0, max);
    const before = all.filter((p) => !opts.offset || p.index < opts.offset);
    return before.slice(Math.max(0, before.length - max));
  }

  lookupPayment(hash: Buffer): SimPayment {
    const payment = this.payments.get(hash.toString('hex'));
    if (!payment) throw lndErrors.paymentNotInitiated();
    return payment;
  }

  private async route(payment: SimPayment, intent: PaymentIntent): Promise<void> {
    const fault = this.faults.shift();
    if (fault?.kind === 'fail') return this.failPayment(payment, fault.reason);
    const dest = this.network.node(intent.destination);
    const fee = this.network.routingFee(intent.amountMsat);
    const total = intent.amountMsat + fee;
    if (!dest) return this.failPayment(payment, 'FAILURE_REASON_NO_ROUTE');
    if (this.localMsat - this.inflightMsat < total) return this.failPayment(payment, 'FAILURE_REASON_INSUFFICIENT_BALANCE');
    if (fee > intent.feeLimitMsat || dest.remoteMsat < intent.amountMsat) return this.failPayment(payment, 'FAILURE_REASON_NO_ROUTE');
    const expiry = blockHeight + intent.finalCltvDelta;
    const attempt: Attempt = {
      id: ++this.attemptId, status: 'IN_FLIGHT', attemptNs: nowNs(), resolveNs: 0n,
      hops: [
        { chanId: this.chanId, pubkey: this.network.hubPubkey, forwardMsat: intent.amountMsat, feeMsat: fee, expiry: expiry + 40, customRecords: {} },
        { chanId: dest.chanId, pubkey: dest.pubkey, forwardMsat: intent.amountMsat, feeMsat: 0n, expiry, paymentAddr: intent.paymentAddr, totalMsat: intent.amountMsat, customRecords: intent.customRecords },
      ],
    };
    payment.htlcs.push(attempt);
    payment.status = 'IN_FLIGHT';
    this.inflightMsat += total;
    this.emitPayment(payment);

    if (fault?.kind === 'hang') {
      const outcome = await new Promise<Parameters<Release>[0]>((resolve) => this.hung.set(payment.hash, resolve));
      this.hung.delete(payment.hash);
      if (!outcome.succeed) return this.resolveAttempt(payment, attempt, total, { failed: true }, outcome.reason);
    }
    const result = await dest.receive({ hash: Buffer.from(intent.hash, 'hex'), amountMsat: intent.amountMsat, paymentAddr: intent.paymentAddr, customRecords: intent.customRecords });
    this.resolveAttempt(payment, attempt, total, result, 'FAILURE_REASON_INCORRECT_PAYMENT_DETAILS');
  }

  private resolveAttempt(payment: SimPayment, attempt: Attempt, total: bigint, result: HtlcOutcome, reason: FailureReason): void {
    this.inflightMsat -= total;
    attempt.resolveNs = nowNs();
    if ('preimage' in result) {
      this.localMsat -= total;
      attempt.status = 'SUCCEEDED';
      attempt.preimage = result.preimage;
      Object.assign(payment, { status: 'SUCCEEDED', preimage: result.preimage.toString('hex'), feeMsat: total - payment.valueMsat });
      this.emitPayment(payment);
      return;
    }
    attempt.status = 'FAILED';
    this.failPayment(payment, reason);
  }

  private failPayment(payment: SimPayment, reason: FailureReason): void {
    payment.status = 'FAILED';
    payment.failureReason = reason;
    this.emitPayment(payment);
  }

  private emitPayment(payment: SimPayment): void {
    for (const l of this.paymentListeners) l(payment);
  }

  // ---- fault injection ----

  /** The next outgoing payment fails at once with `reason` (lnd's PaymentFailureReason). */
  failNextPayment(reason: FailureReason = 'FAILURE_REASON_ERROR'): void {
    this.faults.push({ kind: 'fail', reason });
  }

  /**
   * Drops every invoice stream (UNAVAILABLE, as when lnd restarts) and refuses new ones until
   * resumeInvoiceStreams; the node itself keeps running, settling invoices paid meanwhile.
   */
  dropInvoiceStreams(): void {
    this.invoiceStreamsDown = true;
    for (const end of [...this.invoiceStreamEnds]) end();
  }

  resumeInvoiceStreams(): void {
    this.invoiceStreamsDown = false;
  }

  /** The next outgoing payment sends its HTLC and stays IN_FLIGHT until releasePayment. */
  hangNextPayment(): void {
    this.faults.push({ kind: 'hang' });
  }

  /**
   * The next SendPaymentV2 waits, before lnd records the payment, until released: a request on
   * its way (a slow link, a busy node). `reached` resolves once it waits.
   */
  holdNextSend(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => { reached = r; });
    const released = new Promise<void>((r) => { release = r; });
    this.sendHolds.push({ reached, released });
    return { reached: reachedP, release };
  }

  /** The wait put on this send by holdNextSend, if any. */
  sendHold(): Promise<void> | undefined {
    const hold = this.sendHolds.shift();
    if (!hold) return undefined;
    hold.reached();
    return hold.released;
  }

  /** Hashes of payments held by hangNextPayment. */
  hungPayments(): string[] {
    return [...this.hung.keys()];
  }

  /** Lets a hung payment go on to its destination, or fails it with `reason`. */
  releasePayment(hash: string, outcome: 'succeed' | 'fail', reason: FailureReason = 'FAILURE_REASON_NO_ROUTE'): void {
    const release = this.hung.get(hash);
    if (!release) throw new Error(`no hung payment ${hash}`);
    release(outcome === 'succeed' ? { succeed: true } : { succeed: false, reason });
  }
}

