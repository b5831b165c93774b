// BTCPay Server stores in the workers role: the `btcpay` queue's processors and, every
// BTCPAY_PAYOUT_INTERVAL_SECONDS (one run per link per interval across every workers process),
// a payout run per link and another try at deliveries left unprocessed. BTCPay is no rail of its own: rewards and payouts move money through the
// routing module and the Lightning rail.
import type { Context } from '../../core/context.ts';
import { allLinks } from '../../core/btcpay/links.ts';
import type { Logger } from '../../core/log.ts';
import type { RunningRail } from '../module.ts';
import { btcpayHandlers } from './processors.ts';

/**
 * Queues again the deliveries recorded more than `olderThanSeconds` ago and not acted on: their
 * job ran out of attempts (the store unreachable a while) or was lost with Redis. Once per slot.
 */
export async function retryDeliveries(ctx: Context, olderThanSeconds: number, slot: number): Promise<number> {
  const stale = await ctx.sql<{ link_id: string; original_delivery_id: string }[]>`
    select link_id, original_delivery_id from btcpay_deliveries
    where processed_at is null and received_at < now() - make_interval(secs => ${olderThanSeconds}) order by received_at limit 1000`;
  for (const d of stale) {
    await ctx.bus.enqueue('btcpay.delivery', { linkId: d.link_id, originalDeliveryId: d.original_delivery_id }, { id: `btcpay-delivery:${d.link_id}:${d.original_delivery_id}:${slot}` });
  }
  return stale.length;
}

export async function startBtcpayWorkers(ctx: Context, log: Logger): Promise<RunningRail> {
  const worker = ctx.bus.process('btcpay', btcpayHandlers(ctx), { concurrency: ctx.config.BTCPAY_CONCURRENCY });
  const seconds = ctx.config.BTCPAY_PAYOUT_INTERVAL_SECONDS;
  const schedule = async () => {
    const slot = Math.floor(Date.now() / (seconds * 1000));
    for (const link of await allLinks(ctx.sql)) await ctx.bus.enqueue('btcpay.payouts', { linkId: link.id }, { id: `btcpay-payouts:${link.id}:${slot}` });
    await retryDeliveries(ctx, seconds, slot);
  };
  const run = () => void schedule().catch((err: unknown) => log.error({ err }, 'could not schedule BTCPay payouts'));
  run();
  const timer = setInterval(run, seconds * 1000);
  return {
    describe: [`workers: btcpay queue (concurrency ${ctx.config.BTCPAY_CONCURRENCY}, payouts every ${seconds} s)`],
    stop: async () => {
      clearInterval(timer);
      await worker.close();
    },
  };
}
