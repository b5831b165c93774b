// The engine's side of the `lightning` queue: only workers talk to the node, so the engine
// asks through jobs and, where a reply is needed now, waits for it.
import type { z } from 'zod';
import type { Context } from '../context.ts';
import { flushEvents } from '../events.ts';
import type { Jobs } from '../jobs.ts';
import { QueueTimeoutError } from '../queue.ts';
import { PaymentError } from './errors.ts';

export const DEFAULT_CALL_MS = 10_000;

/** Calls a lightning job and maps queue failures to `unavailable` (retry with the same key). */
export async function callLightning<K extends keyof Jobs & string>(ctx: Context, name: K, payload: z.input<Jobs[K]['payload']>, id: string, timeoutMs = DEFAULT_CALL_MS): Promise<z.infer<Jobs[K]['result']>> {
  try {
    return await ctx.bus.call(name, payload, { id, timeoutMs });
  } catch (err) {
    if (err instanceof QueueTimeoutError) throw new PaymentError('unavailable', 'the Lightning node did not answer in time; retry with the same idempotency key');
    throw new PaymentError('unavailable', `the Lightning node refused: ${(err as Error).message}`);
  }
}

/** Publishes the events just committed (the workers' re-publisher catches what this misses). */
export function publishCommitted(ctx: Context): Promise<void> {
  return flushEvents({ sql: ctx.sql, redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, log: ctx.log });
}
