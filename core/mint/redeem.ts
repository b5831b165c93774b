// A token pasted into the DM bot. Of our own mint: its proofs spent and their value (less the
// input fee) credited to the holder, in one transaction: mint → holder, fee → fees. Of another
// mint, allowed by the operator's lists and limit: the workers melt it at that mint into an
// invoice of the holder's (`mint.redeemForeign`, workers/mint/foreign.ts).
import { createHash } from 'node:crypto';
import { getDecodedToken, getTokenMetadata } from '@cashu/cashu-ts';
import type { Context } from '../context.ts';
import type { Tx } from '../db.ts';
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

export class TokenError extends CodedError<'malformed' | 'foreign' | 'too_large' | 'unavailable'> {
  override name = 'TokenError';
}

export interface Redeemed { amountSat: bigint; feeSat: bigint; pending?: boolean }

const sameMint = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

export async function redeemToken(ctx: Context, accountId: string, token: string): Promise<Redeemed> {
  const keys = await mintKeys(ctx);
  const text = token.trim();
  let meta: ReturnType<typeof getTokenMetadata>;
  let decoded: ReturnType<typeof getDecodedToken>;
  try {
    meta = getTokenMetadata(text);
    // Another mint's keyset ids are its own: the workers resolve them against that mint.
    if (!sameMint(meta.mint, mintUrl(ctx))) return await redeemForeign(ctx, accountId, text, meta.mint, BigInt(meta.amount.toString()));
    decoded = getDecodedToken(text, [...keys.byId.keys()]);
  } catch (err) {
    if (err instanceof TokenError) throw err;
    throw new TokenError('malformed', `not a Cashu token: ${(err as Error).message}`);
  }
  return creditProofs(ctx, accountId, decoded.proofs.map((p) => ({
    amount: Number(p.amount), id: p.id, secret: p.secret, C: p.C, ...(p.witness !== undefined && { witness: p.witness }),
  })), { memo: decoded.memo });
}

/**
 * Spends proofs of our mint and credits their value less the input fee to `accountId`, in one
 * transaction (mint → holder, fee → fees), with `also` run first inside it (a nutzap's once-only row).
 */
export async function creditProofs(ctx: Context, accountId: string, raw: unknown[], opts: { memo?: string; also?: (tx: Tx) => Promise<unknown> } = {}): Promise<Redeemed> {
  const inputs = parse(z.array(proof).min(1), raw);
  const verified = verifyInputs(ctx.config, await mintKeys(ctx), inputs, []);
  const credit = verified.total - verified.fee;
  if (credit <= 0n) throw new MintError(11005, 'the token is worth no more than its fee');
  const key = `redeem:${verified.spends[0]!.y}`;
  try {
    await ctx.sql.begin(async (tx) => {
      await opts.also?.(tx);
      await tx`select mint_spend(${json(tx, verified.spends)}, 'spent', null)`;
      const [t] = await tx<TransactionRow[]>`
        insert into transactions (account_id, direction, kind, rail, status, idempotency_key, amount_msat, fee_msat, memo, settled_at)
        values (${accountId}, 'incoming', 'ecash', 'ecash', 'succeeded', ${key}, ${credit * 1000n}, ${verified.fee * 1000n}, ${opts.memo ?? null}, now())
        returning *`;
      await post(tx, {
        idempotencyKey: key, kind: 'mint.redeem', ref: t!.id,
        postings: [{ accountId: systemAccounts.mint, amountMsat: -verified.total * 1000n }, { accountId, amountMsat: credit * 1000n },
          { accountId: systemAccounts.fees, amountMsat: verified.fee * 1000n }],
      });
      await recordTransactionEvents(tx, ['payment.received', toTransaction(t!)]);
    });
    void publishCommitted(ctx);
    return { amountSat: credit, feeSat: verified.fee };
  } catch (err) {
    throw mintErrorOf(err);
  }
}

const origin = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return undefined;
  }
};

/** Another mint's token: checked against the operator's lists and limit, melted by the workers. */
async function redeemForeign(ctx: Context, accountId: string, token: string, mintUrlOfToken: string, total: bigint): Promise<Redeemed> {
  const mint = origin(mintUrlOfToken);
  const listed = (urls?: string[]) => (urls ?? []).some((u) => origin(u) === mint);
  const { MINT_FOREIGN_ALLOW: allow, MINT_FOREIGN_DENY: deny, MINT_FOREIGN_MAX_SAT: max } = ctx.config;
  if (!mint || listed(deny) || (allow?.length && !listed(allow))) throw new TokenError('foreign', `tokens of ${mintUrlOfToken.slice(0, 200)} are not taken here`);
  if (total > max) throw new TokenError('too_large', `tokens of other mints are taken up to ${max} sat`);
  const key = `redeem-foreign:${createHash('sha256').update(token).digest('hex')}`;
  try {
    const r = await ctx.bus.call('mint.redeemForeign', { accountId, token, key }, { id: key, timeoutMs: 60_000 });
    return { amountSat: r.amountSat, feeSat: r.feeSat, pending: r.status === 'pending' };
  } catch (err) {
    ctx.log.warn({ err, mint }, 'a token of another mint was not redeemed');
    throw new TokenError('unavailable', 'the other mint did not take the token');
  }
}
