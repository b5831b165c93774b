// The `api` role: the HTTP server on API_HOST:API_PORT, with every feature's routes, and the
// operations server (metrics, health) on METRICS_HOST:METRICS_PORT.
import type { AddressInfo } from 'node:net';
import type { Role } from '../core/role.ts';
import { btcpayRoutes } from './btcpay/routes.ts';
import { businessRoutes } from './business/routes.ts';
import { cardRoutes } from './cards/routes.ts';
import { lnurlRoutes } from './lnurl/routes.ts';
import { MINT_PATH, mintRoutes } from './mint/routes.ts';
import { rateLimits } from './rate-limit.ts';
import { buildApi, buildOpsServer, type RouteModule } from './server.ts';

/** Feature route modules, mounted in this order (the rate limits first: they cover what follows). */
export const routeModules: RouteModule[] = [rateLimits, lnurlRoutes, businessRoutes, cardRoutes, mintRoutes, btcpayRoutes];

export const apiRole: Role = async (ctx) => {
  const app = await buildApi(ctx, routeModules);
  await app.listen({ host: ctx.config.API_HOST, port: ctx.config.API_PORT });
  // API_PORT=0 takes any free port: the default public URL (LNURL callbacks, lightning
  // addresses) is then the one it got, as the relay role does for RELAY_PORT=0.
  if (ctx.config.API_PORT === 0 && !ctx.config.PUBLIC_URL) {
    const { port } = app.server.address() as AddressInfo;
    const host = ctx.config.API_HOST.includes(':') ? `[${ctx.config.API_HOST}]` : ctx.config.API_HOST;
    ctx.config.publicUrl = `http://${host}:${port}`;
  }
  const ops = buildOpsServer(ctx);
  try {
    await ops.listen({ host: ctx.config.METRICS_HOST, port: ctx.config.METRICS_PORT });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = ops.server.address() as AddressInfo;
  const host = ctx.config.METRICS_HOST.includes(':') ? `[${ctx.config.METRICS_HOST}]` : ctx.config.METRICS_HOST;
  return {
    describe: [`HTTP API: ${ctx.config.publicUrl}`, `Cashu mint: ${ctx.config.publicUrl}${MINT_PATH}`, `metrics: http://${host}:${port}/metrics`],
    stop: async () => { await app.close(); await ops.close(); },
  };
};
