// One attempt at an outgoing payment: ask the node (pay, or look up first), then settle or
// void through the engine. Attempts are numbered so that a failure seen by an older attempt
// never voids a payment that a newer attempt may have sent.
import type { Context } from '../../core/context.ts';
import { decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { finishPayment, startAttempt, type PaymentOutcome } from '../../core/payments/outgoing.ts';
import { getTransaction, type Transaction } from '../../core/payments/transactions.ts';
import { LightningError, type LightningBackend, type PaymentStatus } from './port.ts';

/** Errors after which the node certainly did not send: the request itself was refused. */
const refusals = new Set<LightningError['code']>(['invalid_invoice', 'wrong_network', 'expired', 'invalid_request']);

function send(ctx: Context, backend: LightningBackend, t: Transaction): Promise<PaymentStatus> {
  const common = { maxFeeMsat: t.feeReserveMsat, timeoutSeconds: ctx.config.PAYMENT_TIMEOUT_SECONDS };
  if (t.kind === 'keysend') {
    const tlvRecords = t.metadata?.tlvRecords as Record<string, string> | undefined;
    return backend.keysend({ ...common, destination: t.destination!, amountMsat: t.amountMsat!, preimage: t.preimage!, tlvRecords });
  }
  const amountless = decodeBolt11(t.paymentRequest!).amountMsat === undefined;
  return backend.payInvoice({ ...common, paymentRequest: t.paymentRequest!, amountMsat: amountless ? t.amountMsat : undefined });
}

function outcomeOf(s: PaymentStatus): PaymentOutcome | undefined {
  if (s.status === 'succeeded') return { status: 'succeeded', preimage: s.preimage, feeMsat: s.feeMsat };
  if (s.status === 'failed') return { status: 'failed', reason: s.reason, message: s.message };
  return undefined;
}

/** `pay` sends (the node reports an earlier attempt instead of paying twice); `lookup` asks first. */
export async function attemptPayment(ctx: Context, backend: LightningBackend, transactionId: string, mode: 'pay' | 'lookup'): Promise<Transaction> {
  const started = await startAttempt(ctx.sql, transactionId);
  if (!started) return (await getTransaction(ctx.sql, transactionId))!;
  const { transaction: t, attempt } = started;
  let outcome: PaymentOutcome | undefined;
  try {
    let status = mode === 'lookup' ? await backend.lookupPayment(t.paymentHash!) : undefined;
    if (!status || status.status === 'unknown') status = await send(ctx, backend, t);
    outcome = outcomeOf(status);
  } catch (err) {
    if (!(err instanceof LightningError && refusals.has(err.code))) {
      ctx.log.warn({ err, transactionId }, 'payment outcome unknown; it stays pending');
      return t;
    }
    // Refused now, but an earlier attempt may be in flight: the node's record decides.
    const known = await backend.lookupPayment(t.paymentHash!).catch(() => undefined);
    outcome = known?.status === 'unknown' ? { status: 'failed', reason: err.code, message: err.message } : known && outcomeOf(known);
  }
  return outcome ? finishPayment(ctx, t.id, attempt, outcome) : t;
}
