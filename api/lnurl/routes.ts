// Lightning addresses over HTTP: LUD-16 pay requests, their LUD-06 callback, NIP-05 names.
// Browsers call these from any origin (LUD-01, NIP-05), hence the CORS header on each.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Context } from '../../core/context.ts';
import { LnurlPayError, payCallback, payRequest } from '../../core/addresses/lnurl-pay.ts';
import { nostrJson } from '../../core/addresses/nip05.ts';
import { PaymentError } from '../../core/payments/errors.ts';

/** Maps any failure to LUD-06's error shape and an HTTP status, in this one place. */
async function lud06(reply: FastifyReply, ctx: Context, run: () => Promise<unknown>): Promise<unknown> {
  reply.header('access-control-allow-origin', '*');
  try {
    return await run();
  } catch (err) {
    const [status, reason] = err instanceof LnurlPayError ? [err.code === 'unknown_name' ? 404 : 400, err.message]
      : err instanceof PaymentError ? [err.code === 'unavailable' ? 503 : 400, err.message]
        : [500, 'internal error'];
    if (status >= 500) ctx.log.error({ err }, 'lnurl request failed');
    return reply.code(status).send({ status: 'ERROR', reason });
  }
}

export function lnurlRoutes(app: FastifyInstance, ctx: Context): void {
  app.get<{ Params: { name: string } }>('/.well-known/lnurlp/:name', (req, reply) => lud06(reply, ctx, () => payRequest(ctx, req.params.name)));
  app.get<{ Params: { name: string } }>('/lnurlp/:name/callback', (req, reply) => lud06(reply, ctx, () => payCallback(ctx, req.params.name, req.query)));
  app.get<{ Querystring: { name?: unknown } }>('/.well-known/nostr.json', async (req, reply) => {
    reply.header('access-control-allow-origin', '*');
    return nostrJson(ctx, typeof req.query.name === 'string' ? req.query.name : undefined);
  });
}
