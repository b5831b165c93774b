// The invoice watcher: follows the node's invoice updates from the stored settle index and
// credits each settled invoice exactly once (the engine's journal key is the payment hash).
import type { Context } from '../../core/context.ts';
import { creditInvoice, markAccepted, markCanceled } from '../../core/payments/invoices.ts';
import type { Invoice, LightningBackend, Subscription } from './port.ts';

const CURSOR = 'invoices';
const RETRY_MS = 1000;

export function watchInvoices(ctx: Context, backend: LightningBackend): { stop(): void } {
  let sub: Subscription | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const onUpdate = async (inv: Invoice): Promise<void> => {
    if (inv.state === 'settled') {
      await creditInvoice(ctx, { paymentHash: inv.paymentHash, receivedMsat: inv.receivedMsat, preimage: inv.preimage, settledAt: inv.settledAt });
      if (inv.settleIndex !== undefined) {
        await ctx.sql`insert into lightning_cursors (name, value) values (${CURSOR}, ${inv.settleIndex})
          on conflict (name) do update set value = greatest(lightning_cursors.value, excluded.value)`;
      }
    } else if (inv.state === 'accepted') {
      await markAccepted(ctx, inv.paymentHash, inv.receivedMsat);
    } else if (inv.state === 'canceled') {
      await markCanceled(ctx.sql, inv.paymentHash);
    }
  };

  const restart = (err: unknown) => {
    ctx.log.error({ err }, 'invoice subscription failed; resuming');
    if (!stopped) retry = setTimeout(() => void start(), RETRY_MS);
  };

  const start = async (): Promise<void> => {
    try {
      const [row] = await ctx.sql<{ value: bigint }[]>`select value from lightning_cursors where name = ${CURSOR}`;
      if (!stopped) sub = backend.subscribeInvoices(row?.value ?? 0n, onUpdate, restart);
    } catch (err) {
      restart(err);
    }
  };

  void start();
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      sub?.close();
    },
  };
}
