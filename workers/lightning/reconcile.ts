// Reconciliation: payments still pending (a crash, a timeout, a node that was down) are
// looked up on the node and finished; one the node never saw is sent again. At start-up and
// every RECONCILE_INTERVAL_SECONDS.
import type { Context } from '../../core/context.ts';
import { lightningRail } from '../../core/lightning/rail.ts';
import { pendingPayments } from '../../core/payments/outgoing.ts';
import { attemptPayment } from './attempt.ts';
import type { LightningBackend } from './port.ts';

const PARALLEL = 10;

export async function reconcile(ctx: Context, backend: LightningBackend, olderThanSeconds: number): Promise<{ checked: number; finished: number }> {
  const pending = await pendingPayments(ctx.sql, lightningRail, olderThanSeconds);
  let finished = 0;
  for (let i = 0; i < pending.length; i += PARALLEL) {
    const done = await Promise.all(pending.slice(i, i + PARALLEL).map((t) => attemptPayment(ctx, backend, t.id, 'lookup')));
    finished += done.filter((t) => t.status !== 'pending').length;
  }
  if (pending.length) ctx.log.info({ checked: pending.length, finished }, 'reconciled pending payments');
  return { checked: pending.length, finished };
}
