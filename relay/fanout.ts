// Fan-out across relay processes: every accepted event is published on one Redis channel
// (coalesced per tick) and every process delivers what the others accepted to its own live
// subscribers. Ephemeral events also stay in a per-kind Redis sorted set for
// RELAY_EPHEMERAL_WINDOW seconds, so a subscriber that reconnects with `since` still gets them;
// each set keeps at most `windowMax` events (the most a read returns) of at most
// `windowMaxBytes` each, and reads take only the newest they need.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/log.ts';
import { logErrors } from '../core/redis.ts';
import type { Accepted, NostrEvent } from './types.ts';

export interface FanoutOptions {
  redis: Redis;
  prefix: string;
  windowSeconds: number;
  /** Events kept per window key. */
  windowMax: number;
  /** Larger events only go live. */
  windowMaxBytes: number;
  log: Logger;
  /** Events accepted by other processes. */
  onRemote(events: Accepted[]): void;
  /** Another process changed the managed lists (NIP-86). */
  onPolicyChange(): void;
}

export class Fanout {
  readonly instance = randomBytes(8).toString('hex');
  readonly #o: FanoutOptions;
  readonly #events: string;
  readonly #policy: string;
  #sub: Redis | undefined;
  #outbox: string[] = [];
  #ephemeral: Accepted[] = [];
  #scheduled = false;

  constructor(o: FanoutOptions) {
    this.#o = o;
    this.#events = `${o.prefix}:relay:events`;
    this.#policy = `${o.prefix}:relay:policy`;
  }

  async start(): Promise<void> {
    const sub = logErrors(this.#o.redis.duplicate(), this.#o.log, 'relay fan-out');
    this.#sub = sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.#policy) return this.#o.onPolicyChange();
      const bar = message.indexOf('|');
      if (message.slice(0, bar) === this.instance) return;
      try {
        const events = JSON.parse(message.slice(bar + 1)) as NostrEvent[];
        this.#o.onRemote(events.map((event) => ({ event, raw: JSON.stringify(event) })));
      } catch (err) {
        this.#o.log.warn({ err }, 'relay: unreadable fan-out message');
      }
    });
    await sub.subscribe(this.#events, this.#policy);
  }

  /** Announces an accepted event to the other processes (local delivery is the caller's). */
  publish(acc: Accepted, ephemeral: boolean): void {
    this.#outbox.push(acc.raw);
    if (ephemeral && this.#o.windowSeconds > 0 && Buffer.byteLength(acc.raw) <= this.#o.windowMaxBytes) this.#ephemeral.push(acc);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const r = this.#o.redis;
    const fail = (err: unknown) => this.#o.log.warn({ err }, 'relay: fan-out publish failed');
    // The window first: Redis runs one connection's commands in order, so a process that
    // hears of an event on the channel and then reads the window finds it there.
    if (this.#ephemeral.length) {
      const now = Date.now();
      const windowMs = this.#o.windowSeconds * 1000;
      const multi = r.multi();
      const keys = new Set<string>();
      // Each event goes under its kind and under its kind and author, so a filter naming
      // authors (as every NWC client's does) reads only its own share of the window.
      for (const { event, raw } of this.#ephemeral) {
        for (const key of [this.#windowKey(event.kind), this.#windowKey(event.kind, event.pubkey)]) {
          multi.zadd(key, now, raw);
          keys.add(key);
        }
      }
      for (const key of keys) {
        multi.zremrangebyscore(key, '-inf', now - windowMs);
        multi.zremrangebyrank(key, 0, -this.#o.windowMax - 1);
        multi.pexpire(key, windowMs);
      }
      multi.exec().catch(fail);
      this.#ephemeral = [];
    }
    if (this.#outbox.length) {
      r.publish(this.#events, `${this.instance}|[${this.#outbox.join(',')}]`).catch(fail);
      this.#outbox = [];
    }
  }

  #windowKey(kind: number, author?: string): string {
    return `${this.#o.prefix}:relay:ephemeral:${kind}${author ? `:${author}` : ''}`;
  }

  /**
   * Ephemeral events of these kinds (by these authors, where given) received within the window
   * (any process), the newest `limit` of each; `mayMatch` drops texts not worth parsing.
   */
  async recentEphemeral(parts: Array<{ kind: number; author?: string; limit: number }>, mayMatch: (raw: string) => boolean = () => true): Promise<Accepted[]> {
    if (this.#o.windowSeconds <= 0 || parts.length === 0) return [];
    const since = Date.now() - this.#o.windowSeconds * 1000;
    const keys = new Map<string, number>();
    for (const p of parts) {
      const key = this.#windowKey(p.kind, p.author);
      keys.set(key, Math.max(keys.get(key) ?? 0, p.limit));
    }
    // Accepted here but not yet written to Redis (it is written on the next tick): a
    // subscriber that joined after such an event went live would otherwise miss it.
    const unwritten = this.#ephemeral.filter(({ event }) => parts.some((p) => p.kind === event.kind && (!p.author || p.author === event.pubkey)));
    const lists = await Promise.all([...keys].map(([k, limit]) => this.#o.redis.zrevrangebyscore(k, '+inf', since, 'LIMIT', 0, limit)));
    const seen = new Set<string>();
    const out: Accepted[] = [];
    for (const raw of lists.flat()) {
      if (seen.has(raw) || !mayMatch(raw)) continue;
      seen.add(raw);
      out.push({ event: JSON.parse(raw) as NostrEvent, raw });
    }
    for (const acc of unwritten) if (!seen.has(acc.raw)) out.push(acc);
    return out;
  }

  async policyChanged(): Promise<void> {
    await this.#o.redis.publish(this.#policy, this.instance);
  }

  async stop(): Promise<void> {
    this.#flush();
    this.#sub?.disconnect();
  }
}
