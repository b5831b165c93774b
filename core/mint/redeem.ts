// A token of our own mint pasted into the DM bot: its proofs spent and their value (less the
// input fee) credited to the holder, in one transaction: mint → holder, fee → fees. Tokens of
// other mints are refused (`foreign`): melting them needs an outbound connection the workers
// would make, not built yet.
import { getDecodedToken } from '@cashu/cashu-ts';
import type { Context } from '../context.ts';
import { systemAccounts } from '../ledger/accounts.ts';
import { post } from '../ledger/ledger.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import { recordTransactionEvents, toTransaction, type TransactionRow } from '../payments/transactions.ts';
import { json } from './db.ts';
import { mintErrorOf, MintError } from './errors.ts';
import { mintUrl } from './ecash.ts';
import { mintKeys } from './keys.ts';
import { parse, proof } from './schemas.ts';
import { verifyInputs } from './verify.ts';
import { z } from 'zod';
import { CodedError } from '../errors.ts';

export class TokenError extends CodedError<'malformed' | 'foreign'> {
  override name = 'TokenError';
}

/** cashuA…/cashuB… anywhere in a text. */
export const TOKEN = /\bcashu[AB][A-Za-z0-9_\-+/=]{20,}/;

export interface Redeemed { amountSat: bigint; feeSat: bigint; transactionId: string }

const sameMint = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

export async function redeemToken(ctx: Context, accountId: string, token: string): Promise<Redeemed> {
  const keys = await mintKeys(ctx);
  let decoded: ReturnType<typeof getDecodedToken>;
  try {
    decoded = getDecodedToken(token.trim(), [...keys.byId.keys()]);
  } catch (err) {
    throw new TokenError('malformed', `not a Cashu token: ${(err as Error).message}`);
  }
  if (!sameMint(decoded.mint, mintUrl(ctx))) throw new TokenError('foreign', `a token of another mint (${decoded.mint.slice(0, 200)})`);
  const inputs = parse(z.array(proof).min(1), decoded.proofs.map((p) => ({
    amount: Number(p.amount), id: p.id, secret: p.secret, C: p.C, ...(p.witness !== undefined && { witness: p.witness }),
  })));
  const verified = verifyInputs(ctx.config, keys, inputs, []);
  const credit = verified.total - verified.fee;
  if (credit <= 0n) throw new MintError(11005, 'the token is worth no more than its fee');
  const key = `redeem:${verified.spends[0]!.y}`;
  try {
    const row = await ctx.sql.begin(async (tx) => {
      await tx`select mint_spend(${json(tx, verified.spends)}, 'spent', null)`;
      const [t] = await tx<TransactionRow[]>`
        insert into transactions (account_id, direction, kind, rail, status, idempotency_key, amount_msat, fee_msat, memo, settled_at)
        values (${accountId}, 'incoming', 'ecash', 'ecash', 'succeeded', ${key}, ${credit * 1000n}, ${verified.fee * 1000n}, ${decoded.memo ?? null}, now())
        returning *`;
      await post(tx, {
        idempotencyKey: key, kind: 'mint.redeem', ref: t!.id,
        postings: [{ accountId: systemAccounts.mint, amountMsat: -verified.total * 1000n }, { accountId, amountMsat: credit * 1000n },
          { accountId: systemAccounts.fees, amountMsat: verified.fee * 1000n }],
      });
      await recordTransactionEvents(tx, ['payment.received', toTransaction(t!)]);
      return t!;
    });
    void publishCommitted(ctx);
    return { amountSat: credit, feeSat: verified.fee, transactionId: row.id };
  } catch (err) {
    throw mintErrorOf(err);
  }
}
