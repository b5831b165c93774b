// Withdrawals: validated (address form, checksum and network; dust, amount limits) before
// anything is reserved; to one of our own deposit addresses, an internal transfer; otherwise
// reserved through the engine (amount + fee reserve) and handed to the `onchain` queue, whose
// batcher sends it with others in one transaction (workers/onchain/payouts.ts). The outcome
// comes when the batch confirms: payment.sent with the payout's share of the fee.
import { z } from 'zod';
import type { Context } from '../context.ts';
import { keyConflict, PaymentError, parseRequest } from '../payments/errors.ts';
import { checkAmount } from '../payments/limits.ts';
import { awaitOutcome, reserve, resultOf, type PaymentResult } from '../payments/outgoing.ts';
import { transfer } from '../payments/transfer.ts';
import { addressOwner } from './addresses.ts';
import { dustLimitSat, outputVbytes, parseAddress } from './address.ts';
import { feeReserveSat, speedTargets, type Speed } from './fees.ts';
import { onchainRail } from './rail.ts';

const quoteRequest = z.object({
  address: z.string().min(1).max(200),
  amountSat: z.bigint(),
  speed: z.enum(['fast', 'normal', 'slow']).default('normal'),
});

const withdrawRequest = quoteRequest.extend({
  accountId: z.uuid(),
  idempotencyKey: z.string().min(1).max(200),
  memo: z.string().max(1000).optional(),
});

export type QuoteRequest = z.input<typeof quoteRequest>;
export type WithdrawRequest = z.input<typeof withdrawRequest>;

export interface Quote {
  address: string;
  amountSat: bigint;
  speed: Speed;
  /** sat/vB at the speed's target, as last estimated. */
  feeRate: number;
  /** What is reserved for the fee (the unused part comes back when the batch confirms). */
  feeReserveSat: bigint;
  /** Set when the address is one of ours: paid inside the ledger, no fee. */
  internalAccountId?: string;
}

/** The fee rate at a confirmation target, as the workers last read it from the node. */
export async function feeRate(ctx: Context, target: number): Promise<number | undefined> {
  const [row] = await ctx.sql<{ rate: string }[]>`select sat_per_vb::text as rate from onchain_fee_rates where target >= ${target} order by target limit 1`;
  return row && Number(row.rate);
}

/** Checks a withdrawal and prices it; refusals are PaymentErrors and reserve nothing. */
export async function quoteWithdrawal(ctx: Context, req: QuoteRequest): Promise<Quote> {
  const r = parseRequest(quoteRequest, req);
  const parsed = parseAddress(r.address, ctx.config.NETWORK);
  const min = [ctx.config.ONCHAIN_MIN_WITHDRAW_SAT, dustLimitSat(parsed.script)].reduce((a, b) => (a > b ? a : b));
  if (r.amountSat < min) throw new PaymentError('amount_out_of_range', `the smallest withdrawal to this address is ${min} sat`);
  checkAmount(ctx.config, r.amountSat * 1000n);
  const owner = await addressOwner(ctx.sql, parsed.address);
  if (owner && owner.accountId === null) throw new PaymentError('invalid_request', 'this address belongs to the service\'s own wallet');
  if (owner) return { address: parsed.address, amountSat: r.amountSat, speed: r.speed, feeRate: 0, feeReserveSat: 0n, internalAccountId: owner.accountId! };
  const rate = await feeRate(ctx, speedTargets[r.speed]);
  if (rate === undefined) throw new PaymentError('unavailable', 'no fee estimate yet; try again shortly');
  return { address: parsed.address, amountSat: r.amountSat, speed: r.speed, feeRate: rate, feeReserveSat: feeReserveSat(rate, outputVbytes(parsed.script), ctx.config.ONCHAIN_FEE_RESERVE_MIN_SAT) };
}

/** Reserves and queues a withdrawal (idempotent on the key); pending until its batch confirms. */
export async function withdraw(ctx: Context, req: WithdrawRequest): Promise<PaymentResult> {
  const r = parseRequest(withdrawRequest, req);
  const q = await quoteWithdrawal(ctx, r);
  if (q.internalAccountId) {
    const t = await transfer(ctx, { fromAccountId: r.accountId, toAccountId: q.internalAccountId, amountMsat: q.amountSat * 1000n, idempotencyKey: r.idempotencyKey, memo: r.memo ?? `on-chain address ${q.address}` });
    return resultOf(t);
  }
  const t = await reserve(ctx, onchainRail, {
    account_id: r.accountId, kind: 'onchain', idempotency_key: r.idempotencyKey, amount_msat: q.amountSat * 1000n,
    fee_reserve_msat: q.feeReserveSat * 1000n, destination: q.address, memo: r.memo ?? null,
    rail_data: { address: q.address, speed: q.speed, feeRate: q.feeRate },
  });
  // The key used before for another withdrawal (or another kind of payment) is refused.
  if (t.kind !== 'onchain' || t.destination !== q.address || t.amountMsat !== q.amountSat * 1000n) throw keyConflict();
  return awaitOutcome(ctx, onchainRail, t, 0);
}
