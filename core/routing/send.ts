// Pays a route from an account: an internal transfer (the recipient's account made on first
// use, marked for a notice to its owner), LNURL-pay (the invoice checked before it is paid),
// or an invoice. Idempotent on (payer, idempotencyKey): a repeat returns the first outcome.
import type { Context } from '../context.ts';
import { accountIdsOf } from '../ledger/account-ids.ts';
import { PaymentError } from '../payments/errors.ts';
import { payInvoice } from '../lightning/pay.ts';
import { resultOf, type PaymentResult } from '../payments/outgoing.ts';
import { findByKey, type Transaction } from '../payments/transactions.ts';
import { transfer } from '../payments/transfer.ts';
import type { Route, RoutingDeps } from './route.ts';

export interface SendRequest {
  payerAccountId: string;
  idempotencyKey: string;
  route: Route;
  /** Required but for an invoice that carries its own amount. */
  amountMsat?: bigint;
  /** A transfer's memo, or the LNURL comment (cut to what the server allows). */
  memo?: string;
  /** Kept on the payer's transaction (and on the receiver's, for a transfer). */
  metadata?: Record<string, unknown>;
  waitMs?: number;
}

export type SendOutcome =
  | { rail: 'internal'; transaction: Transaction }
  | { rail: 'lnurl' | 'invoice'; payment: PaymentResult };

/**
 * Transfers carry `notify: true`: the receiver's owner is told who sent what (the DM bot's
 * notices), whether or not they have used the service before.
 */
export const NOTIFY = { notify: true } as const;

export async function sendPayment(ctx: Context, deps: RoutingDeps, req: SendRequest): Promise<SendOutcome> {
  const { route } = req;
  const amount = (): bigint => {
    if (req.amountMsat === undefined) throw new PaymentError('amount_required', 'give an amount to send');
    return req.amountMsat;
  };
  const base = { accountId: req.payerAccountId, idempotencyKey: req.idempotencyKey, waitMs: req.waitMs, metadata: req.metadata };
  switch (route.rail) {
    case 'internal': {
      const toAccountId = route.accountId ?? await accountIdsOf(ctx.sql).forPubkey(route.pubkey);
      const transaction = await transfer(ctx, {
        fromAccountId: req.payerAccountId, toAccountId, amountMsat: amount(), memo: req.memo,
        idempotencyKey: req.idempotencyKey, metadata: { ...req.metadata, ...NOTIFY },
      });
      return { rail: 'internal', transaction };
    }
    case 'invoice':
      return { rail: 'invoice', payment: await payInvoice(ctx, { ...base, paymentRequest: route.paymentRequest, amountMsat: req.amountMsat }) };
    case 'lnurl': {
      // A repeat must not ask the server for a second invoice.
      const done = await findByKey(ctx.sql, req.payerAccountId, req.idempotencyKey);
      if (done?.direction === 'outgoing') return { rail: 'lnurl', payment: resultOf(done) };
      const pay = route.payRequest;
      const invoice = await deps.lnurl.requestInvoice(pay, { amountMsat: amount(), comment: req.memo?.slice(0, pay.commentAllowed) || undefined });
      return { rail: 'lnurl', payment: await payInvoice(ctx, { ...base, paymentRequest: invoice.paymentRequest }) };
    }
  }
}

/** Where a sent payment stands, whichever way it went. */
export function settled(o: SendOutcome): { status: string; transactionId: string } {
  return o.rail === 'internal' ? { status: o.transaction.status, transactionId: o.transaction.id } : { status: o.payment.status, transactionId: o.payment.transactionId };
}
