// Per-sender token buckets. Pure (the clock is passed in): the bot runs on one leader per key,
// so the buckets live in its memory. A limited sender is told once per empty bucket, not once
// per message, so a flood gets one polite reply rather than a flood back.

export interface RateLimitOptions {
  /** Messages a sender may send in a burst. */
  burst: number;
  /** Tokens refilled per minute. */
  perMinute: number;
  /** Senders remembered at most (the idlest are forgotten first). */
  maxSenders?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; notify: boolean; retryAfterSec: number };

interface Bucket { tokens: number; at: number; notified: boolean }

export class RateLimiter {
  readonly #opts: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions) {
    this.#opts = { maxSenders: 100_000, ...opts };
  }

  take(sender: string, nowMs: number): RateDecision {
    const { burst, perMinute, maxSenders } = this.#opts;
    const b = this.#buckets.get(sender) ?? { tokens: burst, at: nowMs, notified: false };
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) * perMinute) / 60_000);
    b.at = nowMs;
    // Re-insert: the map's order is least recently seen first.
    this.#buckets.delete(sender);
    this.#buckets.set(sender, b);
    if (this.#buckets.size > maxSenders) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.notified = false;
      return { allowed: true };
    }
    const notify = !b.notified;
    b.notified = true;
    return { allowed: false, notify, retryAfterSec: Math.max(1, Math.ceil(((1 - b.tokens) * 60) / perMinute)) };
  }
}
