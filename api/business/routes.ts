// The business API (/api/v1): NIP-98 on every request, zap batches and their reports, the
// signing key a business lets us hold. Errors are `{"error": code, "reason": text}`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import { HttpStatusError, issuesText } from '../../core/errors.ts';
import { KeyError, parseSecretKey } from '../../core/nostr/keys.ts';
import { assertCanSend } from '../../core/risk/accounts.ts';
import { HttpAuthError } from '../../core/nostr/nip98.ts';
import { authenticateBusiness, setSigningKey, type Business } from '../../core/business/business.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';
import { setRewardRule } from '../../core/btcpay/rewards.ts';
import { BatchError, batchReport, batchRequest, batchSummary, submitBatch } from '../../core/business/batches.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { onchainRoutes, paymentStatus } from '../onchain/routes.ts';

declare module 'fastify' {
  interface FastifyRequest { rawBody?: string; business?: Business }
}

const batchStatus: Record<BatchError['code'], number> = { invalid_request: 400, key_reused: 409, insufficient_balance: 402 };

function fail(reply: FastifyReply, status: number, error: string, reason: string) {
  return reply.code(status).send({ error, reason });
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpStatusError(400, issuesText(r.error, 'body'));
  return r.data;
}

export async function businessRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (api) => {
    // NIP-98 signs the body's bytes: keep them as they came.
    api.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('body is not JSON'), { statusCode: 400 }), undefined);
      }
    });
    // Every failure of these routes becomes its HTTP status and `{error, reason}` here alone.
    api.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      if (err instanceof HttpAuthError) return fail(reply, 401, err.code, err.message);
      if (err instanceof BatchError) return fail(reply, batchStatus[err.code], 'invalid_request', err.message);
      // The request checks here.
      if (err instanceof HttpStatusError) return fail(reply, err.httpStatus, 'invalid_request', err.message);
      if (err instanceof KeyError) return fail(reply, 400, 'invalid_request', err.message);
      if (err instanceof PaymentError) return fail(reply, paymentStatus[err.code], err.code, err.message);
      if (err.statusCode === 429) return reply.code(429).send(err); // the rate limit's own body (api/rate-limit.ts)
      if (err.statusCode && err.statusCode < 500) return fail(reply, err.statusCode, 'invalid_request', err.message);
      ctx.log.error({ err }, 'business API request failed');
      return fail(reply, 500, 'internal', 'internal error');
    });
    api.addHook('preHandler', async (req: FastifyRequest) => {
      req.business = await authenticateBusiness(ctx, ctx.redis, {
        header: req.headers.authorization, url: `${ctx.config.publicUrl}${req.url}`, method: req.method, body: req.rawBody,
      });
    });

    api.post('/zaps', async (req, reply) => {
      const body = parseBody(batchRequest(ctx.config.BUSINESS_BATCH_MAX), req.body);
      await assertCanSend(ctx.sql, ctx.config, req.business!.accountId);
      const { id, created } = await submitBatch(ctx, req.business!, body);
      return reply.code(created ? 202 : 200).send(await batchReport(ctx, req.business!.accountId, id));
    });

    api.get<{ Params: { id: string }; Querystring: { lines?: string } }>('/zaps/:id', async (req, reply) => {
      // `?lines=false`: the totals alone, for polling a large batch's progress.
      const report = await (req.query.lines === 'false' ? batchSummary : batchReport)(ctx, req.business!.accountId, req.params.id);
      return report ?? fail(reply, 404, 'not_found', 'no such batch');
    });

    // Flash Rewards for the business's BTCPay stores (docs/btcpay.md).
    api.put('/btcpay/rewards', async (req) => {
      const body = parseBody(z.object({ percent: z.union([z.string(), z.number()]).transform(String), maxSats: z.union([z.string(), z.number()]) }), req.body);
      try {
        const rule = await setRewardRule(ctx.sql, req.business!.accountId, body);
        return { percent: rule.basisPoints / 100, maxSats: (rule.maxMsat / 1000n).toString() };
      } catch (err) {
        if (err instanceof BtcpayError) throw new HttpStatusError(400, err.message);
        throw err;
      }
    });

    api.put('/signing-key', async (req) => {
      const { secretKey } = parseBody(z.object({ secretKey: z.string().max(200) }), req.body);
      return { pubkey: await setSigningKey(ctx, req.business!.accountId, parseSecretKey(secretKey)) };
    });

    await onchainRoutes(api, ctx);
  }, { prefix: '/api/v1' });
}
