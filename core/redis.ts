// ioredis connections for the service's own use (pub/sub, caches, locks); BullMQ opens its own.
import { Redis } from 'ioredis';

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
}

/** Removes every key matching `pattern` (SCAN + UNLINK, never blocking the server). */
export async function unlinkMatching(redis: Redis, pattern: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length) await redis.unlink(...keys);
  }
}
