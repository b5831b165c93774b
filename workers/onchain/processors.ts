// The `onchain` queue's processors. A payout job only reports: the withdrawal is already in
// the queue (pending, in no batch) and the batcher sends it; reconciliation follows the open
// batches; refill extends the wallet's watched range for newly issued addresses.
import type { Context } from '../../core/context.ts';
import type { Jobs } from '../../core/jobs.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import type { Handlers } from '../../core/queue.ts';
import type { ChainBackend } from './port.ts';
import { refillRange } from './setup.ts';

export function onchainHandlers(ctx: Context, chain: ChainBackend, wake: () => void, reconcile: () => Promise<{ checked: number; finished: number }>): Handlers<Jobs> {
  return {
    'onchain.payout': async ({ transactionId }) => {
      const t = await getTransaction(ctx.sql, transactionId);
      if (!t) throw new Error(`no payment ${transactionId}`);
      if (t.status === 'pending') wake();
      return { status: t.status, feeMsat: t.status === 'succeeded' ? t.feeMsat : undefined, reason: t.failureReason, message: t.failureMessage };
    },
    'onchain.reconcile': async () => reconcile(),
    'onchain.refill': async ({ range }) => ({ range: await refillRange(ctx, chain, range) }),
  };
}
