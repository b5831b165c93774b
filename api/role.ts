// The `api` role: the HTTP server on API_HOST:API_PORT.
import type { Role } from '../core/role.ts';
import { buildApi } from './server.ts';

export const apiRole: Role = async (ctx) => {
  const app = await buildApi(ctx);
  await app.listen({ host: ctx.config.API_HOST, port: ctx.config.API_PORT });
  return {
    describe: [`HTTP API: ${ctx.config.publicUrl}`],
    stop: () => app.close(),
  };
};
