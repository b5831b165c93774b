// NUT-19 cached responses: a request repeated with the same body (a wallet retrying after a
// dropped connection) gets the first answer again instead of "already spent". Successful
// answers of the cached endpoints are kept in Redis for CACHE_TTL_SECONDS, keyed by the hash
// of the path and body; a melt only once final (PAID), so a failed one can be tried again.
import { createHash } from 'node:crypto';
import type { Context } from '../../core/context.ts';

export const CACHE_TTL_SECONDS = 300;
export const CACHED_ENDPOINTS = ['/v1/mint/bolt11', '/v1/swap', '/v1/melt/bolt11'] as const;

export async function cachedResponse<T>(ctx: Context, path: string, body: unknown, run: () => Promise<T>, keep: (r: T) => boolean = () => true): Promise<T> {
  const key = `${ctx.config.REDIS_PREFIX}:mint:nut19:${createHash('sha256').update(path).update('\0').update(JSON.stringify(body) ?? '').digest('hex')}`;
  const hit = await ctx.redis.get(key).catch(() => null);
  if (hit) return JSON.parse(hit) as T;
  const result = await run();
  if (keep(result)) await ctx.redis.set(key, JSON.stringify(result), 'EX', CACHE_TTL_SECONDS).catch((err: unknown) => ctx.log.warn({ err }, 'could not cache a mint response'));
  return result;
}
