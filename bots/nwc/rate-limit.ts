// Requests per minute per connection: the token buckets the DM bot uses too (core/rate-limit.ts),
// each holding a minute's worth.
// In memory: one instance leads the service at a time.
import { RateLimiter as TokenBuckets } from '../../core/rate-limit.ts';

export class RateLimiter {
  readonly #buckets: TokenBuckets | undefined;

  /** `perMinute` 0 means unlimited. */
  constructor(perMinute: number) {
    this.#buckets = perMinute === 0 ? undefined : new TokenBuckets({ burst: perMinute, perMinute });
  }

  /** Takes one token for `key`; false when there is none left. */
  take(key: string, now = Date.now()): boolean {
    return !this.#buckets || this.#buckets.take(key, now).allowed;
  }
}
