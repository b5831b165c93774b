// Transfers between accounts of the service (user to user, to a sub-wallet, business payouts):
// one journal, a transaction row on each side, an event for each, all in one statement.
import { z } from 'zod';
import type { Context } from '../context.ts';
import { isUniqueViolation } from '../db.ts';
import { GroupCommit, groupCommitPer } from '../group-commit.ts';
import { InsufficientBalanceError, ledgerErrorOf } from '../ledger/ledger.ts';
import { publishCommitted } from './dispatch.ts';
import { accountHeld, HELD_SQLSTATE, keyConflict, PaymentError, parseRequest } from './errors.ts';
import { checkAmount } from './limits.ts';
import { checkOne, type Guarded } from './outgoing.ts';
import { checkArgument } from '../risk/limits.ts';
import { riskRefusalOf } from '../risk/refusals.ts';
import { findByKey, toTransaction, type Transaction, type TransactionRow } from './transactions.ts';

const transferRequest = z.object({
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amountMsat: z.bigint(),
  memo: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().min(1).max(200),
});
export type TransferRequest = z.input<typeof transferRequest> & { guard?: Guarded };

interface Item { from: string; to: string; amount: string; key: string; incomingKey: string; memo: string | null; metadata: Record<string, unknown> | null }

/**
 * Transfers without a guard are group-committed (payment_transfers, migrations/0013). Two
 * batches in flight keep both of PostgreSQL's busy cores fed; 50 items stay within a
 * transaction's cheap range (one journal, two rows and two events each).
 */
const batchesOf = groupCommitPer(({ sql, config }: Context) => new GroupCommit<Item, TransactionRow>(
  (items) => sql<TransactionRow[]>`select * from payment_transfers_checked(${sql.json(items as never)}, ${checkArgument(config)}::text::jsonb)`,
  { batchMax: 50, maxInFlight: 2 }));

/**
 * Moves money between two holder accounts; returns the sender's side. Idempotent on the key.
 * Without a guard it goes into one batch (payment_transfers) with the transfers arriving at
 * the same time. With one it is payment_transfer (migrations/0010) and the guard in one
 * transaction, after the transfer is written; a guard that throws undoes all of it.
 */
export async function transfer(ctx: Context, req: TransferRequest): Promise<Transaction> {
  const { guard, ...rest } = req;
  const r = parseRequest(transferRequest, rest);
  if (r.fromAccountId === r.toAccountId) throw new PaymentError('self_payment', 'cannot transfer to the same account');
  checkAmount(ctx.config, r.amountMsat);
  const incomingKey = `transfer:${r.fromAccountId}:${r.idempotencyKey}`;
  let sent: Transaction;
  try {
    const row = guard
      ? await ctx.sql.begin(async (tx) => {
        const [written] = await tx<TransactionRow[]>`
          select * from payment_transfer(${r.fromAccountId}, ${r.toAccountId}, ${r.amountMsat}, ${r.idempotencyKey},
            ${incomingKey}, ${r.memo ?? null}, ${r.metadata ? tx.json(r.metadata as never) : null})`;
        await tx`select risk_check_ids(${[written!.id]}::uuid[], ${checkArgument(ctx.config)}::text::jsonb)`;
        await checkOne(tx, written!, guard);
        return written;
      })
      : await batchesOf(ctx).submit({
        from: r.fromAccountId, to: r.toAccountId, amount: r.amountMsat.toString(), key: r.idempotencyKey, incomingKey,
        memo: r.memo ?? null, metadata: r.metadata ?? null,
      });
    sent = toTransaction(row!);
  } catch (err) {
    const e = ledgerErrorOf(err) as { code?: string };
    if (e instanceof InsufficientBalanceError) throw new PaymentError('insufficient_balance', 'insufficient balance');
    const refused = riskRefusalOf(e);
    if (refused) throw refused;
    if (e.code === 'P0002') throw new PaymentError('not_found', 'no such account');
    if (e.code === HELD_SQLSTATE) throw accountHeld();
    if (isUniqueViolation(e, 'transactions_account_id_idempotency_key_key')) {
      const first = await findByKey(ctx.sql, r.fromAccountId, r.idempotencyKey);
      // The same transfer again returns it; the key reused for anything else is refused.
      if (first?.kind === 'transfer' && first.direction === 'outgoing' && first.counterpartyAccountId === r.toAccountId && first.amountMsat === r.amountMsat) return first;
      throw keyConflict();
    }
    throw e;
  }
  void publishCommitted(ctx);
  return sent;
}
