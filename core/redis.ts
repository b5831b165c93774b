// ioredis connections for the service's own use (pub/sub, caches, locks); BullMQ opens its own.
import { Redis } from 'ioredis';
import type { Logger } from './log.ts';

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
}

/**
 * Logs a connection's errors (ioredis reconnects by itself; without a listener it prints
 * each failed attempt to stderr as an "Unhandled error event"). Duplicates need their own.
 */
export function logErrors(redis: Redis, log: Logger, what: string): Redis {
  return redis.on('error', (err: Error) => log.warn({ err: err.message, connection: what }, 'Redis connection error; reconnecting'));
}

/** Removes every key matching `pattern` (SCAN + UNLINK, never blocking the server). */
export async function unlinkMatching(redis: Redis, pattern: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length) await redis.unlink(...keys);
  }
}
