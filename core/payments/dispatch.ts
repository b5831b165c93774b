// What the engine does right after a commit that recorded events.
import type { Context } from '../context.ts';
import { flushEvents } from '../events.ts';

/** Publishes the events just committed (the workers' re-publisher catches what this misses). */
export function publishCommitted(ctx: Context): Promise<void> {
  return flushEvents({ sql: ctx.sql, redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, log: ctx.log });
}
