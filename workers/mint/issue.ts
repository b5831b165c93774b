// The eCash rail's attempt (`mint.issue`): sign a reserved issue's outputs and settle it, in one
// transaction, so the signatures and the `mint` account move together. Signing cannot fail
// for a reason the holder caused: a refused output fails the payment (voided, all back).
import type { Context } from '../../core/context.ts';
import { mintErrorOf, MintError } from '../../core/mint/errors.ts';
import { issueData } from '../../core/mint/ecash.ts';
import { mintKeys } from '../../core/mint/keys.ts';
import { signOutputs } from '../../core/mint/verify.ts';
import { publishCommitted } from '../../core/payments/dispatch.ts';
import { finishPayment, startAttempt } from '../../core/payments/outgoing.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';

export async function attemptIssue(ctx: Context, transactionId: string): Promise<Transaction> {
  const started = await startAttempt(ctx.sql, transactionId, { leaseSeconds: 60, sending: false });
  if (!started) return (await getTransaction(ctx.sql, transactionId))!;
  const data = issueData.parse(started.transaction.railData);
  const signed = signOutputs(await mintKeys(ctx), data.outputs);
  try {
    await ctx.sql.begin(async (tx) => {
      await tx`select mint_sign(${tx.json(signed.map((s) => s.row) as never)}, null)`;
      await tx`select from payment_finishes(${tx.json([{ id: transactionId, attempt: started.attempt, succeeded: true, preimage: null, fee: '0', reason: null, message: null }] as never)})`;
    });
  } catch (err) {
    const e = mintErrorOf(err);
    if (!(e instanceof MintError)) throw err;
    return finishPayment(ctx, transactionId, started.attempt, { status: 'failed', reason: 'error', message: e.message });
  }
  void publishCommitted(ctx);
  return (await getTransaction(ctx.sql, transactionId))!;
}
