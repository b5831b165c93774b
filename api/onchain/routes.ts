// The business API's on-chain routes (inside /api/v1, NIP-98 like the rest): withdrawals
// (POST reserves and queues one, idempotent on `idempotencyKey`; GET follows it) and deposit
// addresses. Refusals are PaymentErrors, mapped to statuses in api/business/routes.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import { HttpStatusError, issuesText } from '../../core/errors.ts';
import { bip21, depositAddress } from '../../core/onchain/addresses.ts';
import { withdraw } from '../../core/onchain/withdraw.ts';
import type { PaymentErrorCode } from '../../core/payments/errors.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';

/** HTTP statuses of the engine's refusals. */
export const paymentStatus: Record<PaymentErrorCode, number> = {
  invalid_request: 400, invalid_invoice: 400, wrong_network: 400, expired: 400, amount_required: 400, amount_mismatch: 400,
  amount_out_of_range: 400, insufficient_balance: 402, already_paid: 409, self_payment: 400, not_found: 404, unavailable: 503,
  not_supported: 400, idempotency_conflict: 409, account_held: 403, limit_exceeded: 403, account_frozen: 403, payments_paused: 503,
};

const withdrawalBody = z.object({
  address: z.string().min(1).max(200),
  amountSat: z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9]\d{0,15}$/)]).transform(BigInt),
  speed: z.enum(['fast', 'normal', 'slow']).default('normal'),
  idempotencyKey: z.string().min(1).max(200),
});

function view(t: Transaction) {
  const [txid, vout] = t.railRef?.split(':') ?? [];
  return {
    id: t.id, status: t.status, address: t.destination, amountSat: ((t.amountMsat ?? 0n) / 1000n).toString(),
    feeReserveSat: (t.feeReserveMsat / 1000n).toString(), ...(t.status === 'succeeded' ? { feeMsat: t.feeMsat.toString() } : {}),
    ...(txid ? { txid, vout: Number(vout) } : {}), createdAt: t.createdAt.toISOString(),
  };
}

export async function onchainRoutes(api: FastifyInstance, ctx: Context): Promise<void> {
  api.post('/withdrawals', async (req, reply) => {
    const r = withdrawalBody.safeParse(req.body);
    if (!r.success) throw new HttpStatusError(400, issuesText(r.error, 'body'));
    const accountId = req.business!.accountId;
    const result = await withdraw(ctx, { accountId, ...r.data });
    const t = (await getTransaction(ctx.sql, result.transactionId))!;
    return reply.code(t.status === 'pending' ? 202 : 200).send(view(t));
  });

  api.get<{ Params: { id: string } }>('/withdrawals/:id', async (req, reply) => {
    const t = z.uuid().safeParse(req.params.id).success ? await getTransaction(ctx.sql, req.params.id) : undefined;
    if (!t || t.accountId !== req.business!.accountId || t.direction !== 'outgoing') return reply.code(404).send({ error: 'not_found', reason: 'no such withdrawal' });
    return view(t);
  });

  api.post('/deposit-addresses', async (req, reply) => {
    const a = await depositAddress(ctx, req.business!.accountId, true);
    return reply.code(201).send({ address: a.address, uri: bip21(a.address) });
  });
}
