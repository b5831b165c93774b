// The HTTP API: health and readiness here; features mount their routes through `routes`.
// Metrics are served on the separate operations port (buildOpsServer), or here behind METRICS_TOKEN.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Context } from '../core/context.ts';
import { metrics, registry } from '../core/metrics.ts';
import { riskState } from '../core/risk/state.ts';

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

  health(app, ctx);
  const token = ctx.config.METRICS_TOKEN;
  if (token) {
    app.get('/metrics', async (req, reply) => {
      if (!bearerIs(req.headers.authorization, token)) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  }

  for (const mount of routes) await mount(app, ctx);
  return app;
}

/** /healthz (alive) and /readyz (PostgreSQL and Redis answer; outgoing payments running or paused): which one failed, never why (that goes to the log). */
function health(app: FastifyInstance, ctx: Context): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (req, reply) => {
    const probe = (name: string, p: Promise<unknown>) => p.then(() => 'ok', (err: unknown) => {
      req.log.warn({ err, dependency: name }, 'readiness check failed');
      return 'unavailable';
    });
    let paused = false;
    const [postgres, redis] = await Promise.all([
      probe('postgres', riskState(ctx.sql).then((s) => { paused = s.paused; })), probe('redis', ctx.redis.ping())]);
    const ready = postgres === 'ok' && redis === 'ok';
    // Paused outgoing payments (the kill switch, core/risk) are reported, not unready: receiving goes on.
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis, ...(postgres === 'ok' && { payments: paused ? 'paused' : 'running' }) });
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const bearerIs = (header: string | undefined, token: string): boolean =>
  header !== undefined && header.startsWith('Bearer ') && timingSafeEqual(digest(header.slice(7)), digest(token));

/** The operations server (METRICS_HOST:METRICS_PORT, loopback by default): metrics and health. */
export function buildOpsServer(ctx: Context): FastifyInstance {
  const app = Fastify({ loggerInstance: ctx.log.child({ role: 'ops' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  health(app, ctx);
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}
