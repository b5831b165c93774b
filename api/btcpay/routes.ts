// BTCPay webhooks: POST /btcpay/webhooks/<link id>. The signature is checked on the raw bytes
// before the body is parsed; a delivery is recorded once per original delivery id, answered
// 200 at once, and acted on by a `btcpay.delivery` job. A refusal says why with its status
// (BTCPay shows it on the delivery and retries on its schedule).
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../core/context.ts';
import { BtcpayError, type BtcpayErrorCode } from '../../core/btcpay/errors.ts';
import { webhookPath } from '../../core/btcpay/links.ts';
import { receiveDelivery } from '../../core/btcpay/webhooks.ts';

const statusOf: Partial<Record<BtcpayErrorCode, number>> = { unknown_link: 404, bad_signature: 401, malformed: 400, wrong_webhook: 400, stale: 400 };

export async function btcpayRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (api) => {
    // The signature covers the bytes as sent, whatever the content type says.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    // A BTCPay server posts every store's deliveries from one address: a count of its own, higher
    // than the per-IP limit of the other routes (a signature is checked before anything else).
    const rateLimit = { max: ctx.config.BTCPAY_WEBHOOK_RATE_LIMIT, keyGenerator: (req: { ip: string }) => `btcpay:${req.ip}` };
    api.post<{ Params: { linkId: string } }>(webhookPath(':linkId'), { config: { rateLimit } }, async (req, reply) => {
      try {
        const { link, event, processed } = await receiveDelivery(ctx, req.params.linkId, (req.body as Buffer | undefined) ?? Buffer.alloc(0), req.headers['btcpay-sig'] as string | undefined);
        if (!processed) {
          // Same job id for every (re)delivery of one event: queued once, run once.
          await ctx.bus.enqueue('btcpay.delivery', { linkId: link.id, originalDeliveryId: event.originalDeliveryId }, { id: `btcpay-delivery:${link.id}:${event.originalDeliveryId}` });
        }
        return reply.code(200).send({ ok: true });
      } catch (err) {
        if (err instanceof BtcpayError && statusOf[err.code]) return reply.code(statusOf[err.code]!).send({ error: err.code, reason: err.message });
        // Recorded but not queued (Redis away): BTCPay's redelivery queues it later.
        ctx.log.error({ err }, 'BTCPay webhook delivery failed');
        return reply.code(503).send({ error: 'unavailable', reason: 'try again later' });
      }
    });
  });
}
