// LNURL-pay client (LUD-06, LUD-12, LUD-16, NIP-57's allowsNostr): a lightning address, a
// bech32 `lnurl`, or a kind-0 profile's lud16/lud06 → pay request → callback → an invoice
// whose amount and description hash are checked before anyone pays it.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bech32 } from '@scure/base';
import { z } from 'zod';
import type { Config } from './config.ts';
import { CodedError } from './errors.ts';
import { decodeBolt11, type Bolt11 } from './lightning/bolt11.ts';
import { hex32 } from './hex.ts';

export const lnurlErrorReasons = [
  'invalid_address', 'unreachable', 'bad_response', 'service_error', 'amount_out_of_range',
  'comment_too_long', 'zaps_unsupported', 'invoice_mismatch',
] as const;
export type LnurlErrorReason = (typeof lnurlErrorReasons)[number];

export class LnurlError extends CodedError<LnurlErrorReason> {
  override name = 'LnurlError';
}

/** LUD-16: `name@domain`; the name as LUD-16 allows, the domain a host name. */
const ADDRESS = /^([a-z0-9\-_.+]{1,64})@([a-z0-9.-]{1,253}\.?[a-z0-9-]*(?::\d{1,5})?)$/;

export interface LightningAddress { name: string; domain: string }

export function parseLightningAddress(input: string): LightningAddress {
  const m = ADDRESS.exec(input.trim().toLowerCase());
  if (!m) throw new LnurlError('invalid_address', `"${input.slice(0, 80)}" is not a lightning address (name@domain)`);
  return { name: m[1]!, domain: m[2]! };
}

export const isLightningAddress = (input: string): boolean => ADDRESS.test(input.trim().toLowerCase());

/** LUD-06's description hash: hex SHA-256 of the metadata (or, for a zap, of the zap request) as sent. */
export const descriptionHashOf = (text: string): string => bytesToHex(sha256(new TextEncoder().encode(text)));

const LNURL_LIMIT = 2000;
export function encodeLnurl(url: string): string {
  return bech32.encode('lnurl', bech32.toWords(new TextEncoder().encode(url)), LNURL_LIMIT);
}

export function decodeLnurl(lnurl: string): string {
  try {
    const { prefix, words } = bech32.decode(lnurl.trim().toLowerCase().replace(/^lightning:/, '') as `${string}1${string}`, LNURL_LIMIT);
    if (prefix !== 'lnurl') throw new Error('prefix');
    return new TextDecoder().decode(bech32.fromWords(words));
  } catch {
    throw new LnurlError('invalid_address', 'not a bech32 lnurl');
  }
}

/** A LUD-06 pay request, parsed. Amounts in millisatoshi. */
export interface PayRequest {
  callback: string;
  minSendableMsat: bigint;
  maxSendableMsat: bigint;
  metadata: string;
  commentAllowed: number;
  allowsNostr: boolean;
  /** The key that signs zap receipts (present when allowsNostr). */
  nostrPubkey?: string;
  /** Where the pay request came from (the `lnurl` tag of a zap request encodes it). */
  url: string;
}

const msat = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)]).transform((v) => BigInt(v));
const payRequestSchema = z.object({
  tag: z.literal('payRequest'),
  callback: z.string().max(2000),
  minSendable: msat,
  maxSendable: msat,
  metadata: z.string().max(100_000),
  commentAllowed: z.number().int().nonnegative().optional(),
  allowsNostr: z.boolean().optional(),
  nostrPubkey: hex32.optional(),
});
const errorSchema = z.object({ status: z.literal('ERROR'), reason: z.string().optional() });
const invoiceSchema = z.object({ pr: z.string().min(1).max(7100) });

export interface LnurlClientOptions {
  /** Dev/test only: domain → base URL (e.g. `shop.test` → `http://127.0.0.1:4567`). */
  hosts?: Record<string, string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Speaks LNURL-pay over HTTPS (plain HTTP only for .onion and the configured dev hosts). */
export class LnurlClient {
  readonly #hosts: Map<string, URL>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: LnurlClientOptions = {}) {
    this.#hosts = new Map(Object.entries(opts.hosts ?? {}).map(([domain, base]) => [domain.toLowerCase(), new URL(base)]));
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  /** LUD-16: the pay request URL of `name@domain`. */
  addressUrl(address: LightningAddress): string {
    const mapped = this.#hosts.get(address.domain);
    const base = mapped ? mapped.origin : `${address.domain.endsWith('.onion') ? 'http' : 'https'}://${address.domain}`;
    return `${base}/.well-known/lnurlp/${encodeURIComponent(address.name)}`;
  }

  #allowed(url: URL): boolean {
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (url.hostname.endsWith('.onion') || [...this.#hosts.values()].some((b) => b.origin === url.origin));
  }

  async #getJson(raw: string): Promise<unknown> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new LnurlError('bad_response', 'not a URL');
    }
    if (!this.#allowed(url)) throw new LnurlError('bad_response', `refusing to fetch ${url.protocol}//${url.host}: only https is allowed`);
    let res: Response;
    try {
      res = await this.#fetch(url, { redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs), headers: { accept: 'application/json' } });
    } catch (err) {
      throw new LnurlError('unreachable', `${url.host} did not answer (${(err as Error).message})`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new LnurlError(res.ok ? 'bad_response' : 'unreachable', `${url.host} answered ${res.status} without JSON`);
    }
    const error = errorSchema.safeParse(body);
    if (error.success) throw new LnurlError('service_error', `${url.host}: ${error.data.reason ?? 'error'}`.slice(0, 300));
    if (!res.ok) throw new LnurlError('unreachable', `${url.host} answered ${res.status}`);
    return body;
  }

  /** Fetches and checks the pay request at `url` (from addressUrl or decodeLnurl). */
  async payRequest(url: string): Promise<PayRequest> {
    const parsed = payRequestSchema.safeParse(await this.#getJson(url));
    if (!parsed.success) throw new LnurlError('bad_response', `not a LUD-06 pay request (${parsed.error.issues[0]?.path.join('.')})`);
    const p = parsed.data;
    if (p.minSendable < 1n || p.minSendable > p.maxSendable) throw new LnurlError('bad_response', 'minSendable/maxSendable out of order');
    return {
      callback: p.callback, minSendableMsat: p.minSendable, maxSendableMsat: p.maxSendable, metadata: p.metadata,
      commentAllowed: p.commentAllowed ?? 0, allowsNostr: p.allowsNostr === true && p.nostrPubkey !== undefined,
      nostrPubkey: p.allowsNostr ? p.nostrPubkey : undefined, url,
    };
  }

  /** The pay request of a lightning address or bech32 lnurl. */
  resolve(target: string): Promise<PayRequest> {
    return this.payRequest(/^(lightning:)?lnurl1/i.test(target.trim()) ? decodeLnurl(target) : this.addressUrl(parseLightningAddress(target)));
  }

  /**
   * Asks the callback for an invoice of exactly `amountMsat` and checks it: its amount, and
   * its description hash (SHA-256 of the zap request when zapping, else of the metadata).
   */
  async requestInvoice(pay: PayRequest, req: { amountMsat: bigint; comment?: string; zapRequest?: string }): Promise<VerifiedInvoice> {
    if (req.amountMsat < pay.minSendableMsat || req.amountMsat > pay.maxSendableMsat) {
      throw new LnurlError('amount_out_of_range', `amount must be between ${pay.minSendableMsat} and ${pay.maxSendableMsat} msat`);
    }
    if (req.zapRequest !== undefined && !pay.allowsNostr) throw new LnurlError('zaps_unsupported', 'this address does not accept zaps');
    const comment = req.comment ? req.comment.slice(0, pay.commentAllowed) : undefined;
    if (req.comment && req.comment.length > pay.commentAllowed && req.zapRequest === undefined) {
      throw new LnurlError('comment_too_long', `comments are limited to ${pay.commentAllowed} characters here`);
    }
    let url: URL;
    try {
      url = new URL(pay.callback);
    } catch {
      throw new LnurlError('bad_response', 'callback is not a URL');
    }
    url.searchParams.set('amount', req.amountMsat.toString());
    if (comment && req.zapRequest === undefined) url.searchParams.set('comment', comment);
    if (req.zapRequest !== undefined) {
      url.searchParams.set('nostr', req.zapRequest);
      url.searchParams.set('lnurl', encodeLnurl(pay.url));
    }
    const parsed = invoiceSchema.safeParse(await this.#getJson(url.toString()));
    if (!parsed.success) throw new LnurlError('bad_response', 'callback answer has no pr');
    return verifyInvoice(parsed.data.pr, { amountMsat: req.amountMsat, descriptionHash: descriptionHashOf(req.zapRequest ?? pay.metadata) });
  }
}

export interface VerifiedInvoice {
  paymentRequest: string;
  paymentHash: string;
  amountMsat: bigint;
  descriptionHash: string;
}

/** The invoice must ask for exactly `amountMsat` and commit to `descriptionHash`. */
export function verifyInvoice(pr: string, expect: { amountMsat: bigint; descriptionHash: string }): VerifiedInvoice {
  let invoice: Bolt11;
  try {
    invoice = decodeBolt11(pr);
  } catch (err) {
    throw new LnurlError('invoice_mismatch', (err as Error).message);
  }
  if (invoice.amountMsat !== expect.amountMsat) {
    throw new LnurlError('invoice_mismatch', `the invoice asks for ${invoice.amountMsat ?? 'any amount'} msat, not ${expect.amountMsat}`);
  }
  if (invoice.descriptionHash !== expect.descriptionHash) throw new LnurlError('invoice_mismatch', 'the invoice does not commit to the expected description hash');
  return { paymentRequest: invoice.paymentRequest, paymentHash: invoice.paymentHash, amountMsat: expect.amountMsat, descriptionHash: expect.descriptionHash };
}

/** The client as configured: LNURL_TIMEOUT_MS, LNURL_DEV_HOSTS (refused off regtest), fetching through `fetchImpl` (the outbound policy's). */
export function lnurlClient(config: Config, fetchImpl: typeof fetch): LnurlClient {
  if (config.LNURL_DEV_HOSTS.length && config.NETWORK !== 'regtest') throw new Error('LNURL_DEV_HOSTS is for regtest only');
  const hosts = Object.fromEntries(config.LNURL_DEV_HOSTS.map((pair) => {
    const [domain, base] = pair.split('=');
    if (!domain || !base || !/^https?:\/\//.test(base)) throw new Error(`LNURL_DEV_HOSTS: "${pair}" is not domain=http://host:port`);
    return [domain, base];
  }));
  return new LnurlClient({ hosts, timeoutMs: config.LNURL_TIMEOUT_MS, fetch: fetchImpl });
}

const profileSchema = z.object({ lud16: z.string().optional(), lud06: z.string().optional() });

/** The lightning address (lud16) or lnurl (lud06) of a kind-0 profile's content, if any. */
export function payTargetOfProfile(content: string): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch {
    return undefined;
  }
  const p = profileSchema.safeParse(raw);
  if (!p.success) return undefined;
  if (p.data.lud16 && isLightningAddress(p.data.lud16)) return p.data.lud16.trim().toLowerCase();
  return p.data.lud06?.trim() || undefined;
}
