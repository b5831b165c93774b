// The Cashu mint over HTTP, under `<PUBLIC_URL>/mint` (the mint URL wallets are given). Errors
// are mapped to NUT replies here, once: a MintError answers 400 `{ detail, code }` with its NUT
// code; anything unexpected answers 500 without its text (which goes to the log).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../core/context.ts';
import { MintError, MintRequestError } from '../../core/mint/errors.ts';
import { mintInfo } from '../../core/mint/nut06.ts';
import { mintKeys, type Keyset } from '../../core/mint/keys.ts';
import { swap } from '../../core/mint/nut03.ts';
import { createMintQuote, getMintQuote, mintTokens } from '../../core/mint/nut04.ts';
import { createMeltQuote, getMeltQuote, melt } from '../../core/mint/nut05.ts';
import { checkState, restore } from '../../core/mint/nut07.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { cachedResponse } from './nut19.ts';
import { mintWebSocket } from './ws.ts';

export const MINT_PATH = '/mint';

const keysOf = (k: Keyset) => ({ id: k.id, unit: k.unit, active: k.active, input_fee_ppk: k.inputFeePpk, keys: k.keys });

function answerError(ctx: Context, err: unknown, reply: FastifyReply): FastifyReply {
  if (err instanceof MintError) return reply.code(400).send({ detail: err.message, code: err.code });
  if (err instanceof MintRequestError) return reply.code(400).send({ detail: err.message, code: 0 });
  if (err instanceof PaymentError) {
    if (err.code === 'amount_out_of_range') return reply.code(400).send({ detail: err.message, code: 11006 });
    return reply.code(err.code === 'unavailable' ? 503 : 400).send({ detail: err.message, code: 0 });
  }
  const e = err as { statusCode?: number; message?: string };
  // fastify's own (malformed JSON, too large a body, rate limits) keep their status.
  if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ detail: e.message ?? 'bad request', code: 0 });
  ctx.log.error({ err }, 'mint request failed');
  return reply.code(500).send({ detail: 'internal error', code: 0 });
}

export async function mintRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (m) => {
    m.setErrorHandler((err, _req, reply) => answerError(ctx, err, reply));
    // Browser wallets (cashu.me and others) call the mint from their own origin.
    m.addHook('onRequest', async (_req: FastifyRequest, reply: FastifyReply) => {
      reply.header('access-control-allow-origin', '*');
    });
    m.options('/*', async (_req, reply) => reply.code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'content-type').send());

    m.get('/v1/info', async () => mintInfo(ctx));
    m.get('/v1/keys', async () => ({ keysets: [...(await mintKeys(ctx)).byId.values()].filter((k) => k.active).map(keysOf) }));
    m.get<{ Params: { id: string } }>('/v1/keys/:id', async (req) => {
      const keyset = (await mintKeys(ctx)).get(req.params.id) ?? (await mintKeys(ctx, true)).get(req.params.id);
      if (!keyset) throw new MintError(12001, req.params.id.slice(0, 66));
      return { keysets: [keysOf(keyset)] };
    });
    m.get('/v1/keysets', async () => ({
      keysets: [...(await mintKeys(ctx)).byId.values()].map((k) => ({ id: k.id, unit: k.unit, active: k.active, input_fee_ppk: k.inputFeePpk })),
    }));
    m.post('/v1/swap', async (req) => cachedResponse(ctx, '/v1/swap', req.body, () => swap(ctx, req.body)));
    m.post('/v1/mint/quote/bolt11', async (req) => createMintQuote(ctx, req.body));
    m.get<{ Params: { id: string } }>('/v1/mint/quote/bolt11/:id', async (req) => {
      const q = await getMintQuote(ctx, req.params.id);
      if (!q) throw new MintRequestError('unknown quote');
      return q;
    });
    m.post('/v1/mint/bolt11', async (req) => cachedResponse(ctx, '/v1/mint/bolt11', req.body, () => mintTokens(ctx, req.body)));
    m.post('/v1/melt/quote/bolt11', async (req) => createMeltQuote(ctx, req.body));
    m.get<{ Params: { id: string } }>('/v1/melt/quote/bolt11/:id', async (req) => {
      const q = await getMeltQuote(ctx, req.params.id);
      if (!q) throw new MintRequestError('unknown quote');
      return q;
    });
    m.post('/v1/melt/bolt11', async (req) => cachedResponse(ctx, '/v1/melt/bolt11', req.body, () => melt(ctx, req.body), (q) => q.state === 'PAID'));
    m.post('/v1/checkstate', async (req) => checkState(ctx, req.body));
    m.post('/v1/restore', async (req) => restore(ctx, req.body));
  }, { prefix: MINT_PATH });
  mintWebSocket(app, ctx, `${MINT_PATH}/v1/ws`);
}
