// Transfers between accounts of the service (user to user, to a sub-wallet, business payouts):
// one journal, a transaction row on each side, an event for each.
import { z } from 'zod';
import type { Context } from '../context.ts';
import { InsufficientBalanceError, post } from '../ledger/ledger.ts';
import { publishCommitted } from './dispatch.ts';
import { PaymentError } from './errors.ts';
import { checkAmount } from './limits.ts';
import type { BeforeReserve } from './pay.ts';
import { findByKey, recordTransactionEvents, toTransaction, type Transaction, type TransactionRow } from './transactions.ts';

const transferRequest = z.object({
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amountMsat: z.bigint(),
  memo: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().min(1).max(200),
});
export type TransferRequest = z.input<typeof transferRequest> & { beforeReserve?: BeforeReserve };

/** Moves money between two holder accounts; returns the sender's side. Idempotent on the key. */
export async function transfer(ctx: Context, req: TransferRequest): Promise<Transaction> {
  const { beforeReserve, ...rest } = req;
  const parsed = transferRequest.safeParse(rest);
  if (!parsed.success) throw new PaymentError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const r = parsed.data;
  if (r.fromAccountId === r.toAccountId) throw new PaymentError('self_payment', 'cannot transfer to the same account');
  checkAmount(ctx.config, r.amountMsat);
  let sent: Transaction;
  try {
    sent = await ctx.sql.begin(async (tx) => {
      const rows = await tx<TransactionRow[]>`
        insert into transactions (account_id, direction, kind, status, idempotency_key, amount_msat, memo, metadata, counterparty_account_id, settled_at)
        select t.account_id, t.direction, 'transfer', 'succeeded', t.key, ${r.amountMsat}, ${r.memo ?? null},
          ${r.metadata ? tx.json(r.metadata as never) : null}, t.counterparty, now()
        from (values (${r.fromAccountId}::uuid, 'outgoing', ${r.idempotencyKey}, ${r.toAccountId}::uuid),
                     (${r.toAccountId}::uuid, 'incoming', ${`transfer:${r.fromAccountId}:${r.idempotencyKey}`}, ${r.fromAccountId}::uuid))
          as t (account_id, direction, key, counterparty)
        join accounts a on a.id = t.account_id and a.kind <> 'system'
        returning *`;
      if (rows.length !== 2) throw new PaymentError('not_found', 'no such account');
      const [out, inc] = rows[0]!.direction === 'outgoing' ? [rows[0]!, rows[1]!] : [rows[1]!, rows[0]!];
      await beforeReserve?.(tx, r.amountMsat);
      const t = toTransaction(out);
      await Promise.all([
        post(tx, {
          idempotencyKey: `transfer:${out.id}`, kind: 'transfer', memo: r.memo, ref: out.id,
          postings: [{ accountId: r.fromAccountId, amountMsat: -r.amountMsat }, { accountId: r.toAccountId, amountMsat: r.amountMsat }],
        }),
        recordTransactionEvents(tx, ['payment.sent', t], ['payment.received', toTransaction(inc)]),
      ]);
      return t;
    });
  } catch (err) {
    if (err instanceof InsufficientBalanceError) throw new PaymentError('insufficient_balance', 'insufficient balance');
    const e = err as { code?: string; constraint_name?: string };
    if (e.code === '23505' && e.constraint_name === 'transactions_account_id_idempotency_key_key') {
      const first = await findByKey(ctx.sql, r.fromAccountId, r.idempotencyKey);
      if (first?.kind === 'transfer') return first;
      throw new PaymentError('invalid_request', 'this idempotency key was used for something else');
    }
    throw err;
  }
  void publishCommitted(ctx);
  return sent;
}
