// Per-IP request limits on the feature routes (mounted first, so every later route has one),
// counted in Redis so that they hold across API instances. Health and metrics are not limited.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../core/context.ts';

export async function rateLimits(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(rateLimit, {
    max: ctx.config.API_RATE_LIMIT,
    timeWindow: ctx.config.API_RATE_LIMIT_WINDOW_SECONDS * 1000,
    redis: ctx.redis,
    nameSpace: `${ctx.config.REDIS_PREFIX}:api-rate:`,
    // Both error shapes at once: LUD-06's `{status, reason}` and the business API's `{error, reason}`.
    errorResponseBuilder: (_req, c) => ({
      statusCode: 429, status: 'ERROR', error: 'rate_limited',
      reason: `too many requests; retry in ${Math.ceil(c.ttl / 1000)} s`,
    }),
  });
}
