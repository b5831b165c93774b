// Requests per minute per connection: a token bucket per key that holds a minute's worth and
// refills continuously. In memory: one instance leads the service at a time.
export class RateLimiter {
  readonly #perMinute: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** `perMinute` 0 means unlimited. */
  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  /** Takes one token for `key`; false when there is none left. */
  take(key: string, now = Date.now()): boolean {
    if (this.#perMinute === 0) return true;
    const b = this.#buckets.get(key) ?? { tokens: this.#perMinute, at: now };
    b.tokens = Math.min(this.#perMinute, b.tokens + ((now - b.at) * this.#perMinute) / 60_000);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#buckets.set(key, b);
    return ok;
  }
}
