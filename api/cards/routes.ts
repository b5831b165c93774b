// Flash Cards over HTTP: the tap (LNURL-withdraw, LUD-03 with Boltcard's p and c), its
// callback, and the one-time programming link the Boltcard NFC Programmer app reads. Every
// refusal is LUD-03's `{"status":"ERROR","reason"}`, mapped here only.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Context } from '../../core/context.ts';
import { programmingJson } from '../../core/cards/cards.ts';
import { CardError } from '../../core/cards/errors.ts';
import { tap, withdraw } from '../../core/cards/withdraw.ts';
import { PaymentError } from '../../core/payments/errors.ts';

async function lud03(reply: FastifyReply, ctx: Context, run: () => Promise<unknown>): Promise<unknown> {
  reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
  try {
    return await run();
  } catch (err) {
    const [status, reason] = err instanceof CardError ? [err.code === 'unknown_card' || err.code === 'unknown_k1' ? 404 : 400, err.message]
      : err instanceof PaymentError ? [err.code === 'unavailable' ? 503 : 400, err.message]
        : [500, 'internal error'];
    if (status >= 500) ctx.log.error({ err }, 'card request failed');
    return reply.code(status).send({ status: 'ERROR', reason });
  }
}

export function cardRoutes(app: FastifyInstance, ctx: Context): void {
  app.get<{ Params: { id: string } }>('/cards/tap/:id', (req, reply) => lud03(reply, ctx, () => tap(ctx, req.params.id, req.query)));
  app.get('/cards/callback', (req, reply) => lud03(reply, ctx, () => withdraw(ctx, req.query)));
  app.get<{ Params: { code: string } }>('/cards/program/:code', (req, reply) => lud03(reply, ctx, () => programmingJson(ctx, req.params.code)));
}
