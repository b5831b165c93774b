// Transfers between accounts of the service (user to user, to a sub-wallet, business payouts):
// one journal, a transaction row on each side, an event for each, all in one statement.
import { z } from 'zod';
import type { Context } from '../context.ts';
import { InsufficientBalanceError, ledgerErrorOf, type Db } from '../ledger/ledger.ts';
import { publishCommitted } from './dispatch.ts';
import { PaymentError } from './errors.ts';
import { checkAmount } from './limits.ts';
import type { BeforeReserve } from './pay.ts';
import { findByKey, toTransaction, type Transaction, type TransactionRow } from './transactions.ts';

const transferRequest = z.object({
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amountMsat: z.bigint(),
  memo: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().min(1).max(200),
});
export type TransferRequest = z.input<typeof transferRequest> & { beforeReserve?: BeforeReserve };

/**
 * Moves money between two holder accounts; returns the sender's side. Idempotent on the key.
 * Without a hook it is one statement (payment_transfer in migrations/0010_wallet_speed.sql):
 * one round trip, one commit. A `beforeReserve` hook runs in the same transaction after the
 * transfer is written, and throwing from it undoes all of it.
 */
export async function transfer(ctx: Context, req: TransferRequest): Promise<Transaction> {
  const { beforeReserve, ...rest } = req;
  const parsed = transferRequest.safeParse(rest);
  if (!parsed.success) throw new PaymentError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const r = parsed.data;
  if (r.fromAccountId === r.toAccountId) throw new PaymentError('self_payment', 'cannot transfer to the same account');
  checkAmount(ctx.config, r.amountMsat);
  const write = (db: Db) => db<TransactionRow[]>`
    select * from payment_transfer(${r.fromAccountId}, ${r.toAccountId}, ${r.amountMsat}, ${r.idempotencyKey},
      ${`transfer:${r.fromAccountId}:${r.idempotencyKey}`}, ${r.memo ?? null}, ${r.metadata ? db.json(r.metadata as never) : null})`;
  let sent: Transaction;
  try {
    const [row] = beforeReserve
      ? await ctx.sql.begin(async (tx) => {
        const rows = await write(tx);
        await beforeReserve(tx, r.amountMsat);
        return rows;
      })
      : await write(ctx.sql);
    sent = toTransaction(row!);
  } catch (err) {
    const e = ledgerErrorOf(err) as { code?: string; constraint_name?: string };
    if (e instanceof InsufficientBalanceError) throw new PaymentError('insufficient_balance', 'insufficient balance');
    if (e.code === 'P0002') throw new PaymentError('not_found', 'no such account');
    if (e.code === '23505' && e.constraint_name === 'transactions_account_id_idempotency_key_key') {
      const first = await findByKey(ctx.sql, r.fromAccountId, r.idempotencyKey);
      if (first?.kind === 'transfer') return first;
      throw new PaymentError('invalid_request', 'this idempotency key was used for something else');
    }
    throw e;
  }
  void publishCommitted(ctx);
  return sent;
}
