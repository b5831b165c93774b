// The `btcpay` queue: a recorded webhook delivery acted on (a reward on InvoiceSettled, a payout
// run on PayoutApproved), and payout runs. Both are safe to run twice.
import type { Context } from '../../core/context.ts';
import type { Jobs } from '../../core/jobs.ts';
import type { Handlers } from '../../core/queue.ts';
import { rewardInvoice } from './rewards.ts';
import { runPayouts } from './payouts.ts';
import { openStore } from './store.ts';

export function btcpayHandlers(ctx: Context): Handlers<Jobs> {
  return {
    'btcpay.delivery': async ({ linkId, originalDeliveryId }) => {
      const [d] = await ctx.sql<{ type: string; body: { invoiceId?: string }; processed_at: Date | null }[]>`
        select type, body, processed_at from btcpay_deliveries where link_id = ${linkId} and original_delivery_id = ${originalDeliveryId}`;
      if (!d || d.processed_at) return { outcome: 'done_before' };
      let outcome = 'ignored';
      if (d.type === 'InvoiceSettled' && d.body.invoiceId) {
        outcome = await rewardInvoice(ctx, await openStore(ctx, linkId), d.body.invoiceId);
        // Still in flight: fail the job so that it runs again (the payment is found by its key).
        if (outcome === 'pending') throw new Error('the reward payment has no outcome yet');
      } else if (d.type === 'PayoutApproved') {
        await ctx.bus.enqueue('btcpay.payouts', { linkId }, { id: `btcpay-payouts:${linkId}:${originalDeliveryId}` });
        outcome = 'payouts_queued';
      }
      await ctx.sql`update btcpay_deliveries set processed_at = now() where link_id = ${linkId} and original_delivery_id = ${originalDeliveryId}`;
      return { outcome };
    },
    'btcpay.payouts': async ({ linkId }) => runPayouts(ctx, await openStore(ctx, linkId)),
  };
}
