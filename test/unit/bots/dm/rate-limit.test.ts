import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../../core/rate-limit.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with one notice until tokens come back', () => {
    const rl = new RateLimiter({ burst: 3, perMinute: 6 });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => rl.take('a', t0).allowed)).toEqual([true, true, true]);
    expect(rl.take('a', t0)).toEqual({ allowed: false, notify: true, retryAfterSec: 10 });
    expect(rl.take('a', t0 + 1000)).toEqual({ allowed: false, notify: false, retryAfterSec: 9 });
    // Other senders have their own bucket.
    expect(rl.take('b', t0).allowed).toBe(true);
    // One token per 10 s at 6 per minute.
    expect(rl.take('a', t0 + 10_000).allowed).toBe(true);
    expect(rl.take('a', t0 + 10_000)).toMatchObject({ allowed: false, notify: true });
  });

  it('never holds more than the burst, and forgets the idlest senders past its capacity', () => {
    const rl = new RateLimiter({ burst: 2, perMinute: 60, maxSenders: 2 });
    expect(rl.take('a', 0).allowed).toBe(true);
    expect([rl.take('a', 3_600_000).allowed, rl.take('a', 3_600_000).allowed, rl.take('a', 3_600_000).allowed]).toEqual([true, true, false]);
    rl.take('b', 3_600_000);
    rl.take('c', 3_600_000);
    // 'a' was forgotten, so it starts again with a full bucket.
    expect([rl.take('a', 3_600_000).allowed, rl.take('a', 3_600_000).allowed]).toEqual([true, true]);
  });
});
