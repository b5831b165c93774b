// The invoice watcher: follows the node's invoice updates from the stored settle index and
// credits each settled invoice exactly once (the engine's journal key is the payment hash).
import type { Context } from '../../core/context.ts';
import { creditInvoice, markAccepted, markCanceled } from '../../core/lightning/invoices.ts';
import type { Invoice, LightningBackend, Subscription } from './port.ts';

const CURSOR = 'invoices';
const RETRY_MS = 1000;
const CATCH_UP_PARALLEL = 10;

/** Applies what the node says of one of our invoices; every step is idempotent. */
async function apply(ctx: Context, inv: Invoice): Promise<void> {
  if (inv.state === 'settled') {
    await creditInvoice(ctx, { paymentHash: inv.paymentHash, receivedMsat: inv.receivedMsat, preimage: inv.preimage, settledAt: inv.settledAt });
  } else if (inv.state === 'accepted') {
    await markAccepted(ctx, inv.paymentHash, inv.receivedMsat);
  } else if (inv.state === 'canceled') {
    await markCanceled(ctx.sql, inv.paymentHash);
  }
}

/**
 * Before the first stored settle index the node replays nothing (index 0 is "from now on",
 * as on lnd), so our invoices still open or accepted are looked up one by one instead. Run
 * after subscribing, so that a settlement is seen by one or the other.
 */
async function catchUp(ctx: Context, backend: LightningBackend, stopped: () => boolean): Promise<void> {
  const open = await ctx.sql<{ payment_hash: string }[]>`
    select payment_hash from transactions where direction = 'incoming' and kind = 'lightning' and status in ('open', 'accepted')
    order by created_at`;
  for (let i = 0; i < open.length && !stopped(); i += CATCH_UP_PARALLEL) {
    await Promise.all(open.slice(i, i + CATCH_UP_PARALLEL).map(async ({ payment_hash }) => {
      const inv = await backend.lookupInvoice(payment_hash);
      if (inv && !stopped()) await apply(ctx, inv);
    }));
  }
}

export function watchInvoices(ctx: Context, backend: LightningBackend): { stop(): Promise<void> } {
  let sub: Subscription | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let starting: Promise<void> = Promise.resolve();

  const onUpdate = async (inv: Invoice): Promise<void> => {
    await apply(ctx, inv);
    if (inv.state === 'settled' && inv.settleIndex !== undefined) {
      await ctx.sql`insert into lightning_cursors (name, value) values (${CURSOR}, ${inv.settleIndex})
        on conflict (name) do update set value = greatest(lightning_cursors.value, excluded.value)`;
    }
  };

  /** One subscription at a time: the failed one is closed before the next is opened. */
  const restart = (err: unknown) => {
    sub?.close();
    sub = undefined;
    if (stopped) return;
    ctx.log.error({ err }, 'invoice subscription failed; resuming');
    clearTimeout(retry);
    retry = setTimeout(() => { starting = start(); }, RETRY_MS);
  };

  const start = async (): Promise<void> => {
    try {
      const [row] = await ctx.sql<{ value: bigint }[]>`select value from lightning_cursors where name = ${CURSOR}`;
      if (stopped) return;
      sub?.close();
      sub = backend.subscribeInvoices(row?.value ?? 0n, onUpdate, restart);
      if (!row) await catchUp(ctx, backend, () => stopped);
    } catch (err) {
      restart(err);
    }
  };

  starting = start();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      sub?.close();
      await starting;
    },
  };
}
