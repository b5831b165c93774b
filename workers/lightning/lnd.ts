// The LND adapter: the Lightning port over lnd's gRPC API through the `lightning` library.
// Amounts cross as lnd's millisatoshi strings (mtokens) and become bigints here, never floats.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import * as ln from 'lightning';
import { z } from 'zod';
import { ConfigError, type Config } from '../../core/config.ts';
import { decodeForNode } from './decode.ts';
import type { DecodedInvoice, Network } from '../../core/lightning/types.ts';
import { failureReason, isDuplicatePayment, lndError } from './lnd-errors.ts';
import {
  LightningError,
  type Balances, type CreateHoldInvoiceRequest, type CreateInvoiceRequest, type Invoice,
  type KeysendRequest, type LightningBackend, type NodeInfo, type PayInvoiceRequest, type PaymentStatus,
  type Subscription,
} from './port.ts';

export interface LndOptions {
  /** host:port of lnd's gRPC interface. */
  socket: string;
  /** tls.cert as base64 or hex; absent when the certificate is publicly trusted. */
  cert?: string;
  /** Macaroon as hex or base64. */
  macaroon: string;
  /** The network this service runs on; invoices are decoded as belonging to it. */
  network: Network;
}

/** TLV record type of a keysend preimage. */
const keysendType = '5482373484';
/** How long lookupPayment waits for lnd's first word on a payment. */
const lookupWaitMs = 5_000;
/** BOLT 11 default when an invoice has no `c` field. */
const defaultFinalCltv = 18;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lower-case hex`);
const hex32 = hex(32);
const msat = (v: string | undefined) => (v === undefined || v === '' ? undefined : BigInt(v));

/** Genesis block hashes (as the library reports them: internal byte order) → network. */
const chains = new Map<string, Network>(([
  ['000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f', 'mainnet'],
  ['000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943', 'testnet'],
  ['00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043', 'testnet'],
  ['00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6', 'signet'],
  ['0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206', 'regtest'],
] as const).map(([h, n]) => [Buffer.from(h, 'hex').reverse().toString('hex'), n]));

/** The invoice fields we use, as the library's rpcInvoiceAsInvoice produces them. */
const lndInvoice = z.object({
  id: hex32,
  request: z.string().optional(),
  mtokens: z.string().regex(/^\d+$/),
  received_mtokens: z.string().regex(/^\d+$/),
  is_confirmed: z.boolean(),
  is_canceled: z.boolean().optional(),
  is_held: z.boolean().optional(),
  secret: z.string(),
  description: z.string(),
  description_hash: z.string().optional(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  confirmed_at: z.iso.datetime().optional(),
  confirmed_index: z.number().int().optional(),
});

/** DecodePayReq as the library's paymentRequestDetails returns it. */
const lndDecoded = z.object({
  id: hex32,
  destination: hex(33),
  mtokens: z.string().regex(/^\d+$/).optional(),
  description: z.string().optional(),
  description_hash: z.string().optional(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  cltv_delta: z.number().int().optional(),
});

/** A page of GetFailedPayments (ListPayments), the fields we use. */
const lndFailedPage = z.object({
  payments: z.array(z.object({ id: z.string(), created_at: z.iso.datetime() })),
  next: z.string().optional(),
});

function toInvoice(raw: unknown): Invoice {
  const i = lndInvoice.parse(raw);
  const state = i.is_confirmed ? 'settled' : i.is_canceled ? 'canceled' : i.is_held ? 'accepted' : 'open';
  return {
    paymentHash: i.id,
    paymentRequest: i.request ?? '',
    amountMsat: i.mtokens === '0' ? undefined : BigInt(i.mtokens),
    receivedMsat: BigInt(i.received_mtokens),
    state,
    // lnd does not mark hold invoices; theirs is the preimage lnd does not know until settlement
    isHold: !i.secret || state === 'accepted',
    preimage: i.secret || undefined,
    description: i.description || undefined,
    descriptionHash: i.description_hash,
    createdAt: new Date(i.created_at),
    expiresAt: new Date(i.expires_at),
    settledAt: i.confirmed_at ? new Date(i.confirmed_at) : undefined,
    settleIndex: i.confirmed_index ? BigInt(i.confirmed_index) : undefined,
  };
}

type Failed = Parameters<typeof failureReason>[0];
type Confirmed = { mtokens: string; fee_mtokens: string; secret: string };

const succeeded = (hash: string, p: Confirmed): PaymentStatus => ({
  status: 'succeeded', paymentHash: hash, preimage: p.secret, feeMsat: BigInt(p.fee_mtokens),
  // the library's mtokens include the fee
  amountMsat: BigInt(p.mtokens) - BigInt(p.fee_mtokens),
});
const failed = (hash: string, f: Failed): PaymentStatus => ({ status: 'failed', paymentHash: hash, reason: failureReason(f) });

/** Resolves on the first settled outcome of `emitter`'s events, then detaches. */
function outcome<T>(emitter: EventEmitter, handlers: Record<string, (value: never) => T | Promise<T>>, timeoutMs: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (fn: () => T | Promise<T>) => {
      clearTimeout(timer);
      for (const event of Object.keys(handlers)) emitter.removeAllListeners(event);
      Promise.resolve().then(fn).then(resolve, reject);
    };
    const timer = setTimeout(() => done(onTimeout), timeoutMs);
    for (const [event, handler] of Object.entries(handlers)) emitter.once(event, (...args: unknown[]) => done(() => handler(args[0] as never)));
  });
}

export class LndBackend implements LightningBackend {
  readonly kind = 'lnd' as const;
  private readonly lnd: ln.AuthenticatedLnd;
  private readonly network: Network;

  constructor(opts: LndOptions) {
    this.lnd = ln.authenticatedLndGrpc({ socket: opts.socket, cert: opts.cert, macaroon: opts.macaroon }).lnd;
    this.network = opts.network;
  }

  async getInfo(): Promise<NodeInfo> {
    const info = await ln.getWalletInfo({ lnd: this.lnd }).catch((err: unknown) => { throw lndError(err); });
    const network = info.chains.map((c) => chains.get(c)).find(Boolean);
    if (!network) throw new Error(`lnd: unknown chain ${info.chains.join(',')}`);
    return { pubkey: info.public_key, alias: info.alias, network, blockHeight: info.current_block_height, syncedToChain: info.is_synced_to_chain };
  }

  async createInvoice(req: CreateInvoiceRequest): Promise<Invoice> {
    const { id } = await ln.createInvoice({ lnd: this.lnd, ...this.invoiceArgs(req) }).catch((err: unknown) => { throw lndError(err); });
    return this.getInvoice(id);
  }

  async createHoldInvoice(req: CreateHoldInvoiceRequest): Promise<Invoice> {
    const id = this.check(hex32, req.paymentHash, 'paymentHash');
    await ln.createHodlInvoice({ lnd: this.lnd, id, cltv_delta: req.cltvExpiry, ...this.invoiceArgs(req) })
      .catch((err: unknown) => { throw lndError(err); });
    return this.getInvoice(id);
  }

  async settleHoldInvoice(preimage: string): Promise<void> {
    const secret = this.check(hex32, preimage, 'preimage');
    await ln.settleHodlInvoice({ lnd: this.lnd, secret }).catch((err: unknown) => { throw lndError(err); });
  }

  async cancelHoldInvoice(paymentHash: string): Promise<void> {
    const id = this.check(hex32, paymentHash, 'paymentHash');
    await ln.cancelHodlInvoice({ lnd: this.lnd, id }).catch((err: unknown) => { throw lndError(err); });
  }

  async decodeInvoice(paymentRequest: string): Promise<DecodedInvoice> {
    const d = lndDecoded.parse(await ln.decodePaymentRequest({ lnd: this.lnd, request: paymentRequest })
      .catch((err: unknown) => { throw lndError(err, 'invalid_invoice'); }));
    return {
      paymentHash: d.id,
      paymentRequest,
      // lnd refuses requests of any other network than its own
      network: this.network,
      destination: d.destination,
      amountMsat: d.mtokens && d.mtokens !== '0' ? BigInt(d.mtokens) : undefined,
      description: d.description || undefined,
      descriptionHash: d.description_hash || undefined,
      createdAt: new Date(d.created_at),
      expiresAt: new Date(d.expires_at),
      minFinalCltvExpiry: d.cltv_delta ?? defaultFinalCltv,
    };
  }

  async payInvoice(req: PayInvoiceRequest): Promise<PaymentStatus> {
    // Decoded here, not by lnd: one round trip less per payment.
    const { paymentHash } = decodeForNode(req.paymentRequest, this.network);
    return this.pay(paymentHash, req.timeoutSeconds, () => ln.subscribeToPayViaRequest({
      lnd: this.lnd,
      request: req.paymentRequest,
      mtokens: req.amountMsat?.toString(),
      max_fee_mtokens: req.maxFeeMsat.toString(),
      pathfinding_timeout: req.timeoutSeconds * 1000,
    }));
  }

  async keysend(req: KeysendRequest): Promise<PaymentStatus> {
    const preimage = this.check(hex32, req.preimage, 'preimage');
    const destination = this.check(hex(33), req.destination, 'destination');
    const paymentHash = createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex');
    const records = Object.entries(req.tlvRecords ?? {}).map(([type, value]) => ({ type, value }));
    return this.pay(paymentHash, req.timeoutSeconds, () => ln.subscribeToPayViaDetails({
      lnd: this.lnd,
      destination,
      id: paymentHash,
      mtokens: req.amountMsat.toString(),
      max_fee_mtokens: req.maxFeeMsat.toString(),
      messages: [{ type: keysendType, value: preimage }, ...records],
      pathfinding_timeout: req.timeoutSeconds * 1000,
    }));
  }

  async lookupPayment(paymentHash: string, sentSince?: Date): Promise<PaymentStatus> {
    const id = this.check(hex32, paymentHash, 'paymentHash');
    const status = await this.track(id, lookupWaitMs, false);
    if (status.status !== 'failed' || !sentSince || (await this.failedSince(id, sentSince))) return status;
    return { status: 'unknown', paymentHash: id };
  }

  async lookupInvoice(paymentHash: string): Promise<Invoice | undefined> {
    try {
      return await this.getInvoice(this.check(hex32, paymentHash, 'paymentHash'));
    } catch (err) {
      if (err instanceof LightningError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  /**
   * Settlements come from SubscribeInvoices resumed by settle index (lnd replays those after it;
   * for index 0 lnd replays nothing, so 0 means "from now on"). lnd's all-invoice stream carries
   * only additions and settlements, so each open hold invoice — announced by its addition, or
   * found among the pending invoices at start — gets its own SubscribeSingleInvoice stream for
   * `accepted` and `canceled`. Those are delivered at least once (again after a resubscribe).
   */
  subscribeInvoices(afterSettleIndex: bigint, onUpdate: (invoice: Invoice) => Promise<void>, onError: (err: Error) => void): Subscription {
    let closed = false;
    let delivered = Promise.resolve();
    const watched = new Map<string, EventEmitter>();
    const subscriptions = new Set<EventEmitter>();

    const close = () => {
      closed = true;
      for (const s of [...subscriptions, ...watched.values()]) s.removeAllListeners();
      subscriptions.clear();
      watched.clear();
    };
    // The library would resubscribe by itself, but from a cursor it resets on every addition
    // (losing settlements); the caller resumes from its own stored index instead.
    const fail = (err: unknown) => {
      if (closed) return;
      close();
      // the library reports a stream that lnd ended as an error without a value
      onError(err === undefined ? new Error('lnd ended the invoice stream') : lndError(err));
    };
    // one update at a time; a failing handler ends the subscription so the caller resumes from its cursor
    const deliver = (raw: unknown) => {
      delivered = delivered.then(async () => {
        if (closed) return;
        try {
          await onUpdate(toInvoice(raw));
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      });
    };
    const unwatch = (id: string) => {
      watched.get(id)?.removeAllListeners();
      watched.delete(id);
    };
    const watchHold = (inv: { id: string; secret: string; is_confirmed: boolean; is_canceled?: boolean }) => {
      if (closed || watched.has(inv.id) || inv.secret || inv.is_confirmed || inv.is_canceled) return;
      const single = ln.subscribeToInvoice({ lnd: this.lnd, id: inv.id });
      watched.set(inv.id, single);
      single.on('invoice_updated', (update: ln.SubscribeToInvoiceInvoiceUpdatedEvent) => {
        if (update.is_held || update.is_canceled) deliver(update);
        if (update.is_confirmed || update.is_canceled) unwatch(inv.id);
      });
      single.on('error', (err: unknown) => {
        unwatch(inv.id);
        fail(err);
      });
    };

    const all = ln.subscribeToInvoices({ lnd: this.lnd, confirmed_after: Number(afterSettleIndex) || undefined });
    subscriptions.add(all);
    all.on('invoice_updated', (inv: ln.SubscribeToInvoicesInvoiceUpdatedEvent) => {
      if (inv.is_confirmed) deliver(inv);
      else watchHold(inv);
    });
    all.on('error', fail);

    void (async () => {
      for (let token: string | undefined, first = true; !closed && (first || token); first = false) {
        const page = await ln.getInvoices({ lnd: this.lnd, is_unconfirmed: true, ...(token ? { token } : { limit: 100 }) });
        for (const inv of page.invoices) watchHold(inv);
        token = page.next;
      }
    })().catch(fail);

    return { close };
  }

  async getBalances(): Promise<Balances> {
    try {
      const [channels, chain] = await Promise.all([ln.getChannelBalance({ lnd: this.lnd }), ln.getChainBalance({ lnd: this.lnd })]);
      return {
        channelLocalMsat: msat(channels.channel_balance_mtokens) ?? BigInt(channels.channel_balance) * 1000n,
        channelRemoteMsat: msat(channels.inbound_mtokens) ?? BigInt(channels.inbound ?? 0) * 1000n,
        onchainConfirmedSat: BigInt(chain.chain_balance),
      };
    } catch (err) {
      throw lndError(err);
    }
  }

  async close(): Promise<void> {
    for (const client of Object.values(this.lnd)) (client as { close?: () => void }).close?.();
  }

  private check<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
    const r = schema.safeParse(value);
    if (!r.success) throw new LightningError('invalid_request', `${name}: ${r.error.issues[0]?.message}`);
    return r.data;
  }

  private invoiceArgs(req: CreateInvoiceRequest) {
    if (req.description !== undefined && req.descriptionHash !== undefined) {
      throw new LightningError('invalid_request', 'an invoice has a description or a description hash, not both');
    }
    return {
      mtokens: req.amountMsat?.toString(),
      description: req.description,
      description_hash: req.descriptionHash === undefined ? undefined : this.check(hex32, req.descriptionHash, 'descriptionHash'),
      expires_at: new Date(Date.now() + req.expirySeconds * 1000).toISOString(),
    };
  }

  private async getInvoice(id: string): Promise<Invoice> {
    const raw = await ln.getInvoice({ lnd: this.lnd, id }).catch((err: unknown) => { throw lndError(err); });
    return toInvoice(raw);
  }

  /**
   * Sends once and waits up to timeoutSeconds. lnd refuses a second payment of a hash that is
   * in flight or paid; then we follow that payment instead. A thrown LightningError means lnd
   * did not take the payment; after any other error lnd may have taken it, so it is never a
   * failure: we ask lnd what it knows, and say `pending` if it cannot tell.
   */
  private async pay(hash: string, timeoutSeconds: number, send: () => EventEmitter): Promise<PaymentStatus> {
    const began = new Date();
    const deadline = began.getTime() + timeoutSeconds * 1000;
    let sub: EventEmitter;
    try {
      sub = send();
    } catch (err) {
      // the library checks its arguments synchronously, before anything reaches lnd
      const mapped = lndError(err);
      throw mapped instanceof LightningError ? mapped : new LightningError('invalid_request', mapped.message);
    }
    const pending: PaymentStatus = { status: 'pending', paymentHash: hash };
    return outcome<PaymentStatus>(sub, {
      confirmed: (c: Confirmed) => succeeded(hash, c),
      failed: (f: Failed) => failed(hash, f),
      error: async (err: unknown) => {
        if (isDuplicatePayment(err)) return this.track(hash, Math.max(0, deadline - Date.now()), true);
        const mapped = lndError(err);
        if (mapped instanceof LightningError && mapped.code !== 'unavailable') throw mapped;
        // A failure lnd began before this send is an earlier payment's: this send did not get through.
        const known = await this.lookupPayment(hash, began).catch(() => pending);
        if (known.status === 'unknown') throw mapped;
        return known;
      },
    }, Math.max(0, deadline - Date.now()), () => pending);
  }

  /**
   * Whether lnd's failed payment of this hash began at or after `since`. The failure as
   * TrackPaymentV2 reports it carries no date; ListPayments' does (a payment sent again after
   * failing is a new one there, with a new creation date). lnd filters by whole seconds.
   */
  private async failedSince(id: string, since: Date): Promise<boolean> {
    let token: string | undefined;
    do {
      const page = lndFailedPage.parse(await ln.getFailedPayments({ lnd: this.lnd, ...(token ? { token } : { created_after: since.toISOString(), limit: 250 }) })
        .catch((err: unknown) => { throw lndError(err); }));
      const payment = page.payments.find((p) => p.id === id);
      if (payment) return Date.parse(payment.created_at) >= since.getTime();
      token = page.next;
    } while (token);
    return false;
  }

  /** TrackPaymentV2: the payment's outcome, or `pending` while in flight (waiting up to waitMs for a final one when untilFinal). */
  private track(hash: string, waitMs: number, untilFinal: boolean): Promise<PaymentStatus> {
    const pending: PaymentStatus = { status: 'pending', paymentHash: hash };
    const sub = ln.subscribeToPastPayment({ lnd: this.lnd, id: hash });
    return outcome<PaymentStatus>(sub, {
      confirmed: (c: Confirmed) => succeeded(hash, c),
      failed: (f: Failed) => failed(hash, f),
      ...(untilFinal ? {} : { paying: () => pending }),
      end: () => pending,
      error: (err: unknown) => {
        const mapped = lndError(err);
        if (mapped instanceof LightningError && mapped.code === 'not_found') return { status: 'unknown', paymentHash: hash };
        throw mapped;
      },
    }, waitMs, () => pending);
  }
}

/** Reads LND_CERT / LND_MACAROON: a file path, PEM text, or the encoded contents. */
function credential(name: 'LND_CERT' | 'LND_MACAROON', value: string, encoding: 'base64' | 'hex'): string {
  if (existsSync(value)) return readFileSync(value).toString(encoding);
  if (value.startsWith('-----BEGIN')) return Buffer.from(value).toString('base64');
  const compact = value.replace(/\s+/g, ''); // `base64 tls.cert` wraps its lines
  if (/^[0-9a-f]+$/i.test(compact) || /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return compact;
  throw new ConfigError([`${name}: neither a readable file nor base64 or hex`]);
}

export function createLndBackend(config: Pick<Config, 'NETWORK' | 'LND_SOCKET' | 'LND_CERT' | 'LND_MACAROON'>): LndBackend {
  if (!config.LND_MACAROON) throw new ConfigError(['LND_MACAROON: required with LIGHTNING_BACKEND=lnd']);
  return new LndBackend({
    socket: config.LND_SOCKET,
    cert: config.LND_CERT ? credential('LND_CERT', config.LND_CERT, 'base64') : undefined,
    macaroon: credential('LND_MACAROON', config.LND_MACAROON, 'hex'),
    network: config.NETWORK,
  });
}
