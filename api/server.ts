// The HTTP API: health, readiness and metrics here; features mount their routes through `routes`.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Context } from '../core/context.ts';
import { metrics, registry } from '../core/metrics.ts';

export type RouteModule = (app: FastifyInstance, ctx: Context) => Promise<void> | void;

export async function buildApi(ctx: Context, routes: RouteModule[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ role: 'api' }) as FastifyBaseLogger,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 64) : randomUUID()),
    bodyLimit: 1024 * 1024,
    // Behind N proxies the client is the entry N hops from the right of X-Forwarded-For (the
    // left ones are the client's to forge); rate limits key on it.
    trustProxy: (_addr: string, hop: number) => hop < ctx.config.API_TRUST_PROXY_HOPS,
    // Per-request lines would drown the log at payment rates; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = await Promise.all([
      ctx.sql`select 1`.then(() => 'ok', (e: Error) => e.message),
      ctx.redis.ping().then(() => 'ok', (e: Error) => e.message),
    ]);
    const [postgres, redis] = checks;
    const ready = checks.every((c) => c === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  for (const mount of routes) await mount(app, ctx);
  return app;
}
