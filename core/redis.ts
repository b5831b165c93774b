// ioredis connections for the service's own use (pub/sub, caches, locks); BullMQ opens its own.
import { Redis } from 'ioredis';

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
}
