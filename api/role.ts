// The `api` role: the HTTP server on API_HOST:API_PORT, with every feature's routes.
import type { Role } from '../core/role.ts';
import { businessRoutes } from './business/routes.ts';
import { lnurlRoutes } from './lnurl/routes.ts';
import { buildApi, type RouteModule } from './server.ts';

/** Feature route modules, mounted in this order. */
export const routeModules: RouteModule[] = [lnurlRoutes, businessRoutes];

export const apiRole: Role = async (ctx) => {
  const app = await buildApi(ctx, routeModules);
  await app.listen({ host: ctx.config.API_HOST, port: ctx.config.API_PORT });
  return {
    describe: [`HTTP API: ${ctx.config.publicUrl}`],
    stop: () => app.close(),
  };
};
