// BTCPay Server stores in the workers role: the `btcpay` queue's processors and the payout
// schedule (every BTCPAY_PAYOUT_INTERVAL_SECONDS, one run per link per interval across every
// workers process). BTCPay is no rail of its own: rewards and payouts move money through the
// routing module and the Lightning rail.
import type { Context } from '../../core/context.ts';
import { allLinks } from '../../core/btcpay/links.ts';
import type { Logger } from '../../core/log.ts';
import type { RunningRail } from '../module.ts';
import { btcpayHandlers } from './processors.ts';

export async function startBtcpayWorkers(ctx: Context, log: Logger): Promise<RunningRail> {
  const worker = ctx.bus.process('btcpay', btcpayHandlers(ctx), { concurrency: ctx.config.BTCPAY_CONCURRENCY });
  const seconds = ctx.config.BTCPAY_PAYOUT_INTERVAL_SECONDS;
  const schedule = async () => {
    const slot = Math.floor(Date.now() / (seconds * 1000));
    for (const link of await allLinks(ctx.sql)) await ctx.bus.enqueue('btcpay.payouts', { linkId: link.id }, { id: `btcpay-payouts:${link.id}:${slot}` });
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
