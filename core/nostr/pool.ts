// The bots' relay pool: one nostr-tools AbstractRelay per URL, with what bots need on top —
// NIP-42 auth as the bot, one subscription across all relays with de-duplication, reconnect
// with backoff that resumes from the last event seen, and publishing with per-relay results.
import { AbstractRelay, type Subscription } from 'nostr-tools/abstract-relay';
import type { Filter } from 'nostr-tools/filter';
import type { NostrEvent } from 'nostr-tools/pure';
import type { Signer } from 'nostr-tools/signer';
import { normalizeURL } from 'nostr-tools/utils';
import type { Logger } from '../log.ts';
import type { Outbound } from '../outbound.ts';
import { nowSeconds } from './event.ts';
import { trustVerified, verifyEvent } from './secp.ts';

export interface RelayPoolOptions {
  /** Relays to read from and publish to by default (our own first). */
  relays: string[];
  /** Answers NIP-42 AUTH challenges; without it gated kinds stay unreadable. */
  signer?: Signer;
  log: Logger;
  /** Every connection goes through it: address checks for relays strangers named, size and time caps. */
  outbound: Outbound;
  /** Reconnect delay: doubles from `minMs` up to `maxMs`, with ±20 % jitter. */
  backoff?: { minMs?: number; maxMs?: number };
  /** How many event ids each subscription remembers to drop repeats (oldest forgotten first). */
  dedupSize?: number;
  connectTimeoutMs?: number;
  /** How long to wait for the relay's OK to one EVENT. */
  publishTimeoutMs?: number;
  /** Attempts per relay when a publish fails for a transient reason. */
  publishAttempts?: number;
  /**
   * Relays whose events are delivered without checking their signatures again: our own relay,
   * which verifies every event it accepts, reached over a path nobody can tamper with
   * (`trustedRelays` in bots/identity.ts). Events from every other relay are verified.
   */
  trusted?: string[];
}

export interface SubscribeOptions {
  /**
   * On reconnect, ask from the newest `created_at` seen on that relay minus this margin
   * (default 60 s). Gift wraps carry times randomised up to two days back: use 2 days + for them.
   */
  resumeMarginSec?: number;
  /** Called when a relay has sent everything stored (after each (re)subscription). */
  onEose?: (relay: string) => void;
  /**
   * Ids already delivered, shared with other subscriptions (default: this one's own): a
   * subscription that replaces another then skips what the old one delivered.
   */
  seen?: BoundedSet;
}

/** `stored`: the relay sent it before EOSE (from storage, perhaps again after a reconnect), not live. */
export type EventHandler = (event: NostrEvent, relay: string, stored: boolean) => void | Promise<void>;

export interface PublishResult {
  relay: string;
  ok: boolean;
  /** The relay's OK message, or why it failed ("auth-required: …", "connection failed"). */
  message: string;
  attempts: number;
}

/** Rejections that mean "no" rather than "not now": retrying will not change the answer. */
const FINAL_REJECTION = /^(blocked|invalid|pow|restricted|duplicate|mute|error):/;
const AUTH_REQUIRED = /^auth-required:/;
const AUTH_WAIT_MS = 5_000;

/** Insertion-ordered set that forgets its oldest entries past `capacity`. */
export class BoundedSet {
  readonly #items = new Set<string>();
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  has(id: string): boolean {
    return this.#items.has(id);
  }
  add(id: string): void {
    this.#items.add(id);
    if (this.#items.size > this.#capacity) this.#items.delete(this.#items.values().next().value!);
  }
}

/** Default number of event ids a subscription remembers. */
export const DEDUP_SIZE = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An AbstractRelay that answers AUTH challenges and lets callers await the outcome. */
class AuthingRelay extends AbstractRelay {
  signer?: Signer;
  /** Settles with the relay's OK to our AUTH event. */
  authResult?: Promise<string>;
  readonly #challenged: Array<() => void> = [];

  override _onmessage(ev: MessageEvent): void {
    super._onmessage(ev);
    if (!this.signer || typeof ev.data !== 'string' || !/^\s*\[\s*"AUTH"/.test(ev.data)) return;
    const signer = this.signer;
    this.authResult = this.auth((template) => signer.signEvent(template));
    this.authResult.catch(() => {});
    for (const wake of this.#challenged.splice(0)) wake();
  }

  /** True once the relay accepted our AUTH (waiting up to `ms` for a challenge to come). */
  async authenticated(ms: number): Promise<boolean> {
    if (!this.signer) return false;
    if (!this.authResult) {
      await Promise.race([new Promise<void>((resolve) => this.#challenged.push(resolve)), sleep(ms)]);
    }
    return this.authResult ? this.authResult.then(() => true, () => false) : false;
  }
}

interface PoolSub {
  filters: Filter[];
  onEvent: EventHandler;
  opts: SubscribeOptions;
  seen: BoundedSet;
  /** Newest created_at delivered per relay (capped at now, so a future-dated event cannot skip time). */
  lastSeen: Map<string, number>;
  open: Map<string, Subscription>;
  closed: boolean;
}

/** One relay URL: keeps a connection up (or not, for ad-hoc publish targets) and its subscriptions. */
class RelayLink {
  readonly url: string;
  readonly persistent: boolean;
  relay?: AuthingRelay;
  users = 0;
  #attempt = 0;
  #timer?: NodeJS.Timeout;
  #closed = false;
  #connecting?: Promise<AuthingRelay>;
  readonly #pool: RelayPool;

  constructor(pool: RelayPool, url: string, persistent: boolean) {
    this.#pool = pool;
    this.url = url;
    this.persistent = persistent;
  }

  get connected(): boolean {
    return !!this.relay?.connected;
  }

  /** The live connection, connecting if needed. */
  connect(): Promise<AuthingRelay> {
    if (this.relay?.connected) return Promise.resolve(this.relay);
    this.#connecting ??= this.#open().finally(() => { this.#connecting = undefined; });
    return this.#connecting;
  }

  async #open(): Promise<AuthingRelay> {
    const { opts, log } = this.#pool;
    clearTimeout(this.#timer);
    const relay = new AuthingRelay(this.url, { verifyEvent: this.#pool.trusted.has(this.url) ? trustVerified : verifyEvent, websocketImplementation: opts.outbound.WebSocket as unknown as typeof globalThis.WebSocket, enablePing: true });
    relay.signer = opts.signer;
    relay.publishTimeout = opts.publishTimeoutMs ?? 10_000;
    relay.onnotice = (notice) => log.info({ relay: this.url, notice }, 'relay notice');
    relay.onclose = () => this.#down(relay);
    this.relay = relay;
    await relay.connect({ timeout: opts.connectTimeoutMs ?? 10_000 });
    if (this.#closed) throw new Error('pool closed');
    this.#attempt = 0;
    log.debug({ relay: this.url }, 'relay connected');
    for (const sub of this.#pool.subs) this.open(sub);
    return relay;
  }

  /** The connection went away (or never came): try again later while anyone needs it. */
  #down(relay: AuthingRelay): void {
    if (this.relay !== relay || this.#closed) return;
    this.relay = undefined;
    if (!this.persistent) return;
    const { minMs = 500, maxMs = 30_000 } = this.#pool.opts.backoff ?? {};
    const delay = Math.min(maxMs, minMs * 2 ** this.#attempt++) * (0.8 + Math.random() * 0.4);
    this.#pool.log.warn({ relay: this.url, retryInMs: Math.round(delay) }, 'relay connection lost');
    this.#timer = setTimeout(() => { this.connect().catch(() => {}); }, delay);
  }

  /** REQ for `sub` on this relay, from where it left off. */
  open(sub: PoolSub, authRetried = false): void {
    const relay = this.relay;
    if (!relay?.connected || sub.closed) return;
    const last = sub.lastSeen.get(this.url);
    const margin = sub.opts.resumeMarginSec ?? 60;
    const filters = last === undefined ? sub.filters
      : sub.filters.map((f) => ({ ...f, since: Math.max(f.since ?? 0, last - margin) }));
    const handle = relay.subscribe(filters, {
      onevent: (event) => this.#pool.deliver(sub, this.url, event, !handle.eosed),
      oneose: () => sub.opts.onEose?.(this.url),
      onclose: (reason) => {
        if (sub.open.get(this.url) === handle) sub.open.delete(this.url);
        // Connection losses resubscribe on reconnect; only a relay's CLOSED is handled here.
        if (sub.closed || this.relay !== relay || !relay.connected) return;
        if (AUTH_REQUIRED.test(reason) && !authRetried) {
          void relay.authenticated(AUTH_WAIT_MS).then((ok) => {
            if (ok) this.open(sub, true);
            else this.#pool.log.warn({ relay: this.url, reason }, 'relay wants AUTH and we could not authenticate');
          });
          return;
        }
        this.#pool.log.warn({ relay: this.url, reason }, 'relay closed a subscription');
      },
    });
    sub.open.set(this.url, handle);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.relay?.close();
    this.relay = undefined;
  }
}

export class RelayPool {
  readonly opts: RelayPoolOptions;
  readonly log: Logger;
  readonly urls: string[];
  readonly trusted: Set<string>;
  readonly subs = new Set<PoolSub>();
  readonly #links = new Map<string, RelayLink>();
  #closed = false;

  constructor(opts: RelayPoolOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.urls = [...new Set(opts.relays.map(normalizeURL))];
    this.trusted = new Set((opts.trusted ?? []).map(normalizeURL));
    for (const url of this.urls) {
      const link = new RelayLink(this, url, true);
      this.#links.set(url, link);
      link.connect().catch((err: unknown) => this.log.warn({ relay: url, err: String(err) }, 'relay unreachable; will retry'));
    }
  }

  /** Relays and whether each is connected now. */
  status(): Array<{ relay: string; connected: boolean }> {
    return [...this.#links.values()].filter((l) => l.persistent).map((l) => ({ relay: l.url, connected: l.connected }));
  }

  /** Events matching `filters` from every relay, each event once; lives across reconnects. */
  subscribe(filters: Filter[], onEvent: EventHandler, opts: SubscribeOptions = {}): { close(): void } {
    if (this.#closed) throw new Error('relay pool is closed');
    const sub: PoolSub = {
      filters, onEvent, opts, seen: opts.seen ?? new BoundedSet(this.opts.dedupSize ?? DEDUP_SIZE),
      lastSeen: new Map(), open: new Map(), closed: false,
    };
    this.subs.add(sub);
    for (const url of this.urls) this.#links.get(url)!.open(sub);
    return {
      close: () => {
        sub.closed = true;
        this.subs.delete(sub);
        for (const handle of sub.open.values()) handle.close();
        sub.open.clear();
      },
    };
  }

  /** @internal Hands a verified event to the subscriber unless another relay already did. */
  deliver(sub: PoolSub, url: string, event: NostrEvent, stored: boolean): void {
    const at = Math.min(event.created_at, nowSeconds());
    if (at > (sub.lastSeen.get(url) ?? -1)) sub.lastSeen.set(url, at);
    if (sub.closed || sub.seen.has(event.id)) return;
    sub.seen.add(event.id);
    try {
      const done = sub.onEvent(event, url, stored);
      if (done) done.catch((err: unknown) => this.log.error({ err, event: event.id }, 'event handler failed'));
    } catch (err) {
      this.log.error({ err, event: event.id }, 'event handler failed');
    }
  }

  /**
   * Sends `event` to `relays` (default: the pool's), retrying transient failures and
   * authenticating when a relay asks; resolves with one result per relay, never rejects.
   * Relays beyond the pool's own are capped at the outbound policy's maxRelays.
   */
  async publish(event: NostrEvent, relays: string[] = this.urls): Promise<PublishResult[]> {
    if (this.#closed) throw new Error('relay pool is closed');
    const urls = [...new Set(relays.map(normalizeURL))];
    const others = this.opts.outbound.capRelays(urls.filter((u) => !this.#links.get(u)?.persistent));
    return Promise.all(urls.filter((u) => this.#links.get(u)?.persistent || others.includes(u)).map((url) => this.#publishTo(url, event)));
  }

  async #publishTo(url: string, event: NostrEvent): Promise<PublishResult> {
    let link = this.#links.get(url);
    if (!link?.persistent) {
      try {
        await this.opts.outbound.check(url);
      } catch (err) {
        return { relay: url, ok: false, message: (err as Error).message, attempts: 0 };
      }
      link = this.#links.get(url);
    }
    if (!link) this.#links.set(url, link = new RelayLink(this, url, false));
    link.users++;
    const attempts = this.opts.publishAttempts ?? 3;
    const { minMs = 500 } = this.opts.backoff ?? {};
    let message = '';
    let authRetried = false;
    try {
      // A successful AUTH buys one extra attempt: the relay said "not yet", not "no".
      for (let attempt = 1; attempt <= attempts + Number(authRetried); attempt++) {
        try {
          const relay = await link.connect();
          return { relay: url, ok: true, message: await relay.publish(event), attempts: attempt };
        } catch (err) {
          message = err instanceof Error ? err.message : String(err);
          if (AUTH_REQUIRED.test(message) && !authRetried && link.relay) {
            authRetried = true;
            if (await link.relay.authenticated(AUTH_WAIT_MS)) continue;
          }
          if (FINAL_REJECTION.test(message) || AUTH_REQUIRED.test(message)) return { relay: url, ok: false, message, attempts: attempt };
          if (attempt < attempts) await sleep(minMs * 2 ** (attempt - 1));
        }
      }
      return { relay: url, ok: false, message, attempts };
    } finally {
      if (--link.users === 0 && !link.persistent) {
        link.close();
        this.#links.delete(url);
      }
    }
  }

  /** Closes every subscription and connection; nothing reconnects afterwards. */
  close(): void {
    this.#closed = true;
    for (const sub of this.subs) sub.closed = true;
    this.subs.clear();
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
