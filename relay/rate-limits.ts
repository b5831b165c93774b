// Rate limits that hold across relay processes: counters live in Redis (rate-limiter-flexible,
// fixed windows, one second by default), but no message waits for Redis. Each process counts
// locally, sends its counts for a key once per FLUSH_MS as one `consume(key, n)`, and decides
// from the last total Redis returned (every process's) plus what it counted since. Until a
// process has heard the total for a window it decides on its own counts, so a burst within
// the first FLUSH_MS of a window may pass on each process; past that, the limit is shared.
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../core/log.ts';

const FLUSH_MS = 100;

interface Count {
  /** Points every process had used in the current window, as Redis last said. */
  shared: number;
  /** Sent to Redis, answer pending. */
  inFlight: number;
  /** Counted here since the last send. */
  pending: number;
  /** When the window ends (local clock). */
  resetAt: number;
}

export class SharedRateLimit {
  readonly #points: number;
  readonly #windowMs: number;
  readonly #limiter: RateLimiterRedis | undefined;
  readonly #counts = new Map<string, Count>();
  readonly #log: Logger;
  #scheduled = false;
  /** Redis failed last time (logged once until it answers again). */
  #down = false;

  /** `points` per window (`windowSeconds`, default 1); `points` ≤ 0: unlimited. */
  constructor(o: { redis: Redis; prefix: string; name: string; points: number; windowSeconds?: number; log: Logger }) {
    this.#points = Math.ceil(o.points);
    this.#windowMs = (o.windowSeconds ?? 1) * 1000;
    this.#log = o.log;
    if (this.#points > 0) this.#limiter = new RateLimiterRedis({ storeClient: o.redis, keyPrefix: `${o.prefix}:relay:rate:${o.name}`, points: this.#points, duration: this.#windowMs / 1000 });
  }

  /** Counts one use of `key`; false when its window is used up (the refused use is not counted). */
  take(key: string, now = Date.now()): boolean {
    if (!this.#limiter) return true;
    let c = this.#counts.get(key);
    if (!c || (now >= c.resetAt && c.inFlight === 0)) this.#counts.set(key, c = { shared: 0, inFlight: 0, pending: 0, resetAt: now + this.#windowMs });
    if (c.shared + c.inFlight + c.pending >= this.#points) return false;
    c.pending++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#flush(), FLUSH_MS).unref();
    }
    return true;
  }

  #flush(): void {
    this.#scheduled = false;
    const now = Date.now();
    for (const [key, c] of this.#counts) {
      if (c.pending === 0) {
        if (c.inFlight === 0 && now >= c.resetAt) this.#counts.delete(key);
        continue;
      }
      const n = c.pending;
      c.pending = 0;
      c.inFlight += n;
      const settle = (res: RateLimiterRes) => {
        this.#down = false;
        c.inFlight -= n;
        c.shared = res.consumedPoints;
        c.resetAt = Date.now() + res.msBeforeNext;
      };
      this.#limiter!.consume(key, n).then(settle, (res: unknown) => {
        if (res instanceof RateLimiterRes) return settle(res);
        // Redis unreachable: this process's own counts still limit.
        c.inFlight -= n;
        c.shared += n;
        if (!this.#down) this.#log.warn({ err: res }, 'relay: shared rate limits unavailable, counting per process');
        this.#down = true;
      });
    }
  }
}
