// Outgoing DMs and the relay lookups they need. NIP-04 goes to the bot's relays (where such
// clients read); NIP-17 is gift-wrapped to the user's DM relays (kind 10050), falling back to
// ours. Lookups are one-shot subscriptions, batched, that end at EOSE from every relay or a timeout.
import { LRUCache } from 'lru-cache';
import { DirectMessageRelaysList } from 'nostr-tools/kinds';
import type { Filter } from 'nostr-tools/filter';
import type { NostrEvent } from 'nostr-tools/pure';
import type { Logger } from '../../core/log.ts';
import type { BotKey } from '../../core/nostr/bot-key.ts';
import type { DmScheme } from '../../core/nostr/dm.ts';
import { tagValues } from '../../core/nostr/event.ts';
import type { RelayPool } from '../../core/nostr/pool.ts';

/** Events matching `filter` on the pool's relays, until every connected relay sent EOSE or `timeoutMs`. */
export function fetchEvents(pool: RelayPool, filter: Filter, timeoutMs: number): Promise<NostrEvent[]> {
  return new Promise((resolve) => {
    const events: NostrEvent[] = [];
    const pending = new Set(pool.status().filter((s) => s.connected).map((s) => s.relay));
    const done = () => {
      clearTimeout(timer);
      sub.close();
      resolve(events);
    };
    const timer = setTimeout(done, pending.size ? timeoutMs : 0);
    const sub = pool.subscribe([filter], (e) => { events.push(e); }, {
      onEose: (relay) => {
        pending.delete(relay);
        if (pending.size === 0) done();
      },
    });
  });
}

const WS_URL = /^wss?:\/\/[^\s]+$/;
const CACHE_MS = 10 * 60_000;
/** Relay lists kept at most (any stranger can make us look one up by writing to us). */
const CACHE_MAX = 10_000;
/** Lookups asked within this window share one subscription (relays cap subscriptions per connection). */
const BATCH_MS = 5;
const BATCH_MAX = 500;

export interface MessengerOptions {
  pool: RelayPool;
  key: Pick<BotKey, 'createDm'>;
  log: Logger;
  lookupTimeoutMs: number;
  /** Relay lists cached at most (default CACHE_MAX); the least recently used go first. */
  cacheMax?: number;
}

export class Messenger {
  readonly #o: MessengerOptions;
  readonly #dmRelays: LRUCache<string, string[]>;
  readonly #inflight = new Map<string, Promise<string[]>>();
  #queue: Array<{ pubkey: string; resolve: (relays: string[]) => void }> = [];
  #timer?: NodeJS.Timeout;

  constructor(o: MessengerOptions) {
    this.#o = o;
    this.#dmRelays = new LRUCache({ max: o.cacheMax ?? CACHE_MAX, ttl: CACHE_MS });
  }

  /** The user's NIP-17 inbox relays (kind 10050), cached for a while; [] when they list none. */
  dmRelays(pubkey: string): Promise<string[]> {
    const cached = this.#dmRelays.get(pubkey);
    if (cached) return Promise.resolve(cached);
    let lookup = this.#inflight.get(pubkey);
    if (!lookup) {
      lookup = new Promise<string[]>((resolve) => this.#queue.push({ pubkey, resolve }));
      this.#inflight.set(pubkey, lookup);
      if (!this.#timer) this.#timer = setTimeout(() => void this.#lookUp(), BATCH_MS);
    }
    return lookup;
  }

  /** One subscription for every queued lookup: the newest kind 10050 of each author. */
  async #lookUp(): Promise<void> {
    this.#timer = undefined;
    const batch = this.#queue.splice(0, BATCH_MAX);
    if (this.#queue.length) this.#timer = setTimeout(() => void this.#lookUp(), 0);
    const authors = batch.map((b) => b.pubkey);
    const events = await fetchEvents(this.#o.pool, { kinds: [DirectMessageRelaysList], authors }, this.#o.lookupTimeoutMs);
    const newest = new Map<string, NostrEvent>();
    for (const e of events) if ((newest.get(e.pubkey)?.created_at ?? -1) < e.created_at) newest.set(e.pubkey, e);
    for (const { pubkey, resolve } of batch) {
      const event = newest.get(pubkey);
      const relays = event ? tagValues(event, 'relay').filter((r) => WS_URL.test(r)).slice(0, 10) : [];
      this.#dmRelays.set(pubkey, relays);
      this.#inflight.delete(pubkey);
      resolve(relays);
    }
  }

  /** The scheme for a user who never wrote to us: NIP-17 when they announce DM relays. */
  async schemeFor(pubkey: string): Promise<DmScheme> {
    return (await this.dmRelays(pubkey)).length ? 'nip17' : 'nip04';
  }

  /** Sends `text` to `pubkey`; true when at least one relay accepted it. */
  async send(pubkey: string, scheme: DmScheme, text: string, replyTo?: string): Promise<boolean> {
    const { pool, key, log } = this.#o;
    const event = await key.createDm(scheme, pubkey, text, replyTo);
    const relays = scheme === 'nip17' ? await this.dmRelays(pubkey).then((r) => (r.length ? r : pool.urls)) : pool.urls;
    const results = await pool.publish(event, relays);
    const ok = results.some((r) => r.ok);
    if (!ok) log.warn({ to: pubkey, scheme, results }, 'DM not accepted by any relay');
    return ok;
  }
}
