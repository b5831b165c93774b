// eCash of our own mint issued from a holder's balance (the DM bot's `ecash <amount>`), as a
// payment on the eCash rail: the outputs are blinded here (their secrets and blinding factors
// sealed in the payment's rail_data: they are the token), the reserve moves the amount into
// `mint_pending`, and the `mint.issue` attempt signs the outputs and settles into `mint` in one
// transaction. The token is unblinded from the stored signatures, so asking again with the same
// key gives the same token.
import { randomBytes } from 'node:crypto';
import { Amount, getEncodedToken } from '@cashu/cashu-ts';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { parseRequest, PaymentError } from '../payments/errors.ts';
import { awaitOutcome, reserve } from '../payments/outgoing.ts';
import { findByKey, type Transaction } from '../payments/transactions.ts';
import { checkLimits } from './limits.ts';
import { mintKeys, UNIT } from './keys.ts';
import { blindMessage, CURVE_ORDER, pointFromHex, pointHex, unblind } from './nut00.ts';
import { splitAmount } from './nut02.ts';
import { ecashRail } from './rail.ts';

const SEAL = 'mint:ecash-outputs';

const issueRequest = z.object({
  accountId: z.uuid(),
  idempotencyKey: z.string().min(1).max(200),
  amountSat: z.bigint().positive(),
  waitMs: z.number().int().min(0).max(600_000).optional(),
});

/** What rail_data keeps of an issue: the outputs to sign (public) and, sealed, how to unblind them. */
export const issueData = z.object({
  keyset: z.string(),
  outputs: z.array(z.object({ amount: z.number(), id: z.string(), B_: z.string() })),
  sealed: z.string(),
});
type Opening = Array<{ secret: string; r: string }>;

export type EcashResult =
  | { status: 'succeeded'; token: string; amountSat: bigint; transaction: Transaction }
  | { status: 'pending' | 'failed'; amountSat: bigint; transaction: Transaction };

/** The mint URL tokens name (the API's public URL + /mint). */
export const mintUrl = (ctx: Context) => `${ctx.config.publicUrl}/mint`;

export async function issueEcash(ctx: Context, req: z.input<typeof issueRequest>): Promise<EcashResult> {
  const r = parseRequest(issueRequest, req);
  let t = await findByKey(ctx.sql, r.accountId, r.idempotencyKey);
  if (t && (t.kind !== 'ecash' || t.amountMsat !== r.amountSat * 1000n)) throw new PaymentError('idempotency_conflict', 'this idempotency key was used for a different request');
  if (!t) {
    try {
      checkLimits(ctx.config, r.amountSat);
    } catch (err) {
      throw new PaymentError('amount_out_of_range', (err as Error).message);
    }
    const keyset = (await mintKeys(ctx)).active(UNIT);
    const opening: Opening = [];
    const outputs = splitAmount(r.amountSat).map((amount) => {
      const secret = bytesToHex(randomBytes(32));
      const blind = BigInt(`0x${bytesToHex(randomBytes(32))}`) % (CURVE_ORDER - 1n) + 1n;
      opening.push({ secret, r: blind.toString(16) });
      return { amount: Number(amount), id: keyset.id, B_: pointHex(blindMessage(utf8ToBytes(secret), blind)) };
    });
    const sealed = ctx.keyring.seal(utf8ToBytes(JSON.stringify(opening)), SEAL);
    t = await reserve(ctx, ecashRail, {
      account_id: r.accountId, kind: 'ecash', idempotency_key: r.idempotencyKey, amount_msat: r.amountSat * 1000n, fee_reserve_msat: 0n,
      rail_data: { keyset: keyset.id, outputs, sealed },
    });
  }
  const outcome = await awaitOutcome(ctx, ecashRail, t, r.waitMs ?? 10_000);
  const transaction = { ...t, status: outcome.status };
  if (outcome.status !== 'succeeded') return { status: outcome.status, amountSat: r.amountSat, transaction };
  return { status: 'succeeded', token: await tokenOf(ctx, t), amountSat: r.amountSat, transaction };
}

/** The token of a settled issue: its stored signatures unblinded with the sealed factors. */
export async function tokenOf(ctx: Context, t: Transaction): Promise<string> {
  const data = issueData.parse(t.railData);
  const opening = JSON.parse(new TextDecoder().decode(ctx.keyring.open(data.sealed, SEAL))) as Opening;
  const keys = await mintKeys(ctx);
  const rows = await ctx.sql<{ b_: string; c_: string; dleq_e: string; dleq_s: string }[]>`
    select b_, c_, dleq_e, dleq_s from mint_signatures where b_ = any(${ctx.sql.array(data.outputs.map((o) => o.B_))})`;
  const byB = new Map(rows.map((x) => [x.b_, x]));
  const proofs = data.outputs.map((o, i) => {
    const sig = byB.get(o.B_);
    if (!sig?.c_) throw new Error(`issue ${t.id} has no signature for an output`);
    const K = keys.get(o.id)!.publicKey(BigInt(o.amount))!;
    const C = unblind(pointFromHex(sig.c_), BigInt(`0x${opening[i]!.r}`), K);
    return { amount: Amount.from(o.amount), id: o.id, secret: opening[i]!.secret, C: pointHex(C) };
  });
  return getEncodedToken({ mint: mintUrl(ctx), proofs, unit: UNIT });
}
