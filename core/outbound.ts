// The one policy for connections the service opens to addresses strangers chose: relays named
// in a DM sender's kind 10050, a zap request, a nevent/nprofile hint or a business batch, and
// LNURL/NIP-05 servers. Such an address must resolve to public unicast addresses only (no
// loopback, private, link-local, multicast …), checked again at connect time so a DNS answer
// cannot change in between; sizes and times are capped. Addresses the operator configured
// (the bots' relays, LNURL_DEV_HOSTS) and the ranges in OUTBOUND_ALLOW are exempt.
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';
import WebSocket, { type ClientOptions } from 'ws';
import type { Config } from './config.ts';
import { CodedError } from './errors.ts';

/** Starts with "blocked:" so the relay pool and receipt delivery treat it as final. */
export class OutboundRefused extends CodedError<'outbound_refused'> {
  override name = 'OutboundRefused';
  constructor(what: string) {
    super('outbound_refused', `blocked: ${what}`);
  }
}

export const isOutboundRefusal = (message: string): boolean => message.startsWith('blocked: outbound');

export interface OutboundOptions {
  /** Origins (scheme://host:port) the operator configured: reached without address checks. */
  trustedOrigins?: string[];
  /** IP addresses or CIDR ranges allowed even though they are not public (dev, tests). */
  allow?: string[];
  /** Largest WebSocket message and largest HTTP response body, in bytes. */
  maxBytes?: number;
  /** Time to open a connection (WebSocket handshake) or receive a response's headers or body. */
  timeoutMs?: number;
  /** Most stranger-chosen relays one request (a zap, a DM, a pointer) may make us contact. */
  maxRelays?: number;
}

const SCHEMES = new Set(['ws:', 'wss:', 'http:', 'https:']);

const parseRange = (entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const addr = ipaddr.parse(entry);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
};

export class Outbound {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRelays: number;
  /** A `ws` WebSocket that applies this policy (for nostr-tools' `websocketImplementation`). */
  readonly WebSocket: new (address: string | URL, protocols?: string | string[]) => WebSocket;
  readonly #trusted: Set<string>;
  readonly #allow: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  readonly #lookup: LookupFunction;
  /** undici, loaded on the first fetch (most processes never fetch): trusted and guarded agents. */
  #http?: Promise<{ fetch: typeof import('undici').fetch; trusted: Agent; guarded: Agent }>;

  constructor(o: OutboundOptions = {}) {
    this.maxBytes = o.maxBytes ?? 1_048_576;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxRelays = o.maxRelays ?? 10;
    this.#trusted = new Set((o.trustedOrigins ?? []).map((u) => originOf(new URL(u))));
    this.#allow = (o.allow ?? []).map(parseRange);
    this.#lookup = this.#guardedLookup();
    const limits = { maxPayload: this.maxBytes, handshakeTimeout: this.timeoutMs, followRedirects: false };
    const lookupFor = (url: URL) => this.#connectLookup(url);
    this.WebSocket = class PolicyWebSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions) {
        const lookup = lookupFor(new URL(address));
        super(address, protocols, { ...options, ...limits, ...(lookup && { lookup }) });
      }
    };
  }

  /** Trusts an origin the operator's own process chose later (our relay's URL once it bound port 0). */
  trust(url: string): void {
    this.#trusted.add(originOf(new URL(url)));
  }

  /** Whether `address` (an IP) may be contacted: public unicast, or inside OUTBOUND_ALLOW. */
  allowedAddress(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    const ip = ipaddr.process(address);
    return ip.range() === 'unicast' || this.#allow.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  }

  /** Throws OutboundRefused unless `url` may be contacted (resolving its host name). */
  async check(raw: string | URL): Promise<void> {
    const url = toUrl(raw);
    if (this.#connectLookup(url) === undefined) return;
    let addresses: dns.LookupAddress[];
    try {
      addresses = await dns.promises.lookup(url.hostname, { all: true });
    } catch {
      return; // the connection attempt reports the name error
    }
    const bad = addresses.find((a) => !this.allowedAddress(a.address));
    if (bad) throw new OutboundRefused(`outbound connection to ${url.hostname} (${bad.address}), not a public address`);
  }

  /** fetch() under the policy: checked address, capped body, bounded waits; redirects are the caller's choice. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = toUrl(input instanceof Request ? input.url : input);
    await this.check(url);
    const http = await (this.#http ??= this.#loadHttp());
    const dispatcher = this.#trusted.has(originOf(url)) ? http.trusted : http.guarded;
    return await http.fetch(url, { ...init, dispatcher } as never) as unknown as Response;
  };

  async #loadHttp() {
    const { Agent, fetch } = await import('undici');
    const options = { maxResponseSize: this.maxBytes, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, connect: { timeout: this.timeoutMs } };
    return {
      fetch,
      trusted: new Agent(options),
      guarded: new Agent({ ...options, connect: { ...options.connect, lookup: this.#lookup } }),
    };
  }

  /** The first `maxRelays` distinct entries of a stranger-given relay list. */
  capRelays(relays: string[]): string[] {
    return [...new Set(relays)].slice(0, this.maxRelays);
  }

  async close(): Promise<void> {
    const http = await this.#http;
    if (http) await Promise.all([http.trusted.close(), http.guarded.close()]);
  }

  /**
   * The lookup a connection to `url` must use: undefined when nothing needs checking (a
   * trusted origin, an allowed literal address); throws for a refused literal address.
   */
  #connectLookup(url: URL): LookupFunction | undefined {
    if (!SCHEMES.has(url.protocol)) throw new OutboundRefused(`outbound connection with ${url.protocol}`);
    if (this.#trusted.has(originOf(url))) return undefined;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (ipaddr.isValid(host)) {
      if (this.allowedAddress(host)) return undefined;
      throw new OutboundRefused(`outbound connection to ${host}, not a public address`);
    }
    return this.#lookup;
  }

  /** dns.lookup that fails when any address of the name is refused (checked as the socket connects). */
  #guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const bad = addresses.find((a) => !this.allowedAddress(a.address));
        if (bad) return callback(new OutboundRefused(`outbound connection to ${hostname} (${bad.address}), not a public address`), '', 0);
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
  }
}

const toUrl = (raw: string | URL): URL => {
  try {
    return new URL(raw);
  } catch {
    throw new OutboundRefused(`outbound connection to an invalid URL`);
  }
};

const DEFAULT_PORTS: Record<string, string> = { 'ws:': '80', 'http:': '80', 'wss:': '443', 'https:': '443' };
const originOf = (u: URL): string => `${u.protocol}//${u.hostname}:${u.port || DEFAULT_PORTS[u.protocol] || ''}`;

/**
 * The policy as configured: the operator's relays (NOSTR_RELAYS, ZAP_RELAYS, RELAY_URL) and
 * LNURL_DEV_HOSTS targets are trusted; OUTBOUND_* set the ranges and limits.
 */
export function outboundFromConfig(config: Config): Outbound {
  const devTargets = config.LNURL_DEV_HOSTS.map((pair) => pair.slice(pair.indexOf('=') + 1)).filter((u) => URL.canParse(u));
  return new Outbound({
    trustedOrigins: [...config.NOSTR_RELAYS, ...config.ZAP_RELAYS, config.relayUrl, ...devTargets],
    allow: config.OUTBOUND_ALLOW,
    maxBytes: config.OUTBOUND_MAX_BYTES,
    timeoutMs: config.OUTBOUND_TIMEOUT_MS,
    maxRelays: config.OUTBOUND_MAX_RELAYS,
  });
}
