// One attempt at an outgoing payment: ask the node (pay, or look up first), then settle or
// void through the engine. Attempts run one at a time per payment (a lease on its row) and are
// numbered, so that a failure seen by one never voids a payment another may have sent.
import type { Context } from '../../core/context.ts';
import { decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { finishPayment, startAttempt, type PaymentOutcome } from '../../core/payments/outgoing.ts';
import { markSending, releaseLease } from '../../core/payments/lease.ts';
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

/** How long past the node's payment timeout an attempt may run (lookups around the send, the database) before its lease runs out. */
const LEASE_MARGIN_SECONDS = 60;

/** How often a pay job looks whether the attempt holding the lease is over. */
const LEASE_POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts an attempt once no other holds the payment's lease. A lookup does not wait (a later
 * reconciliation comes back); a pay job waits for the holder, up to one lease, since its caller
 * may be waiting for the outcome. Undefined when the payment is finished, or still leased.
 */
async function leased(ctx: Context, transactionId: string, mode: 'pay' | 'lookup'): Promise<Awaited<ReturnType<typeof startAttempt>>> {
  const leaseSeconds = ctx.config.PAYMENT_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS;
  const until = Date.now() + leaseSeconds * 1000;
  for (;;) {
    const started = await startAttempt(ctx.sql, transactionId, { leaseSeconds, sending: mode === 'pay' });
    if (started || mode === 'lookup' || Date.now() >= until) return started;
    if ((await getTransaction(ctx.sql, transactionId))?.status !== 'pending') return undefined;
    await sleep(LEASE_POLL_MS);
  }
}

/**
 * `pay` sends (the node reports an earlier attempt instead of paying twice); `lookup` asks first.
 * One attempt at a time: while one holds the payment's lease (until it ends, or runs out after a
 * crash), a lookup returns the payment as it is and a pay job waits (leased above).
 * A lookup takes a failure the node began before the payment's latest send (or before the
 * payment existed) for an earlier payment of the hash: `unknown`, so the lookup sends.
 */
export async function attemptPayment(ctx: Context, backend: LightningBackend, transactionId: string, mode: 'pay' | 'lookup'): Promise<Transaction> {
  const started = await leased(ctx, transactionId, mode);
  if (!started) return (await getTransaction(ctx.sql, transactionId))!;
  const { transaction: t, attempt } = started;
  let sentSince = started.sendStartedAt ?? t.createdAt;
  let outcome: PaymentOutcome | undefined;
  try {
    let status = mode === 'lookup' ? await backend.lookupPayment(t.paymentHash!, sentSince) : undefined;
    if (!status || status.status === 'unknown') {
      if (mode === 'lookup') {
        const marked = await markSending(ctx.sql, t.id, attempt);
        if (!marked) return (await getTransaction(ctx.sql, t.id))!;
        sentSince = marked;
      }
      status = await send(ctx, backend, t);
    }
    outcome = outcomeOf(status);
  } catch (err) {
    if (!(err instanceof LightningError && refusals.has(err.code))) {
      ctx.log.warn({ err, transactionId }, 'payment outcome unknown; it stays pending');
    } else {
      // Refused now, but an earlier attempt may be in flight: the node's record decides.
      const known = await backend.lookupPayment(t.paymentHash!, sentSince).catch(() => undefined);
      outcome = known?.status === 'unknown' ? { status: 'failed', reason: err.code, message: err.message } : known && outcomeOf(known);
    }
  }
  if (outcome) return finishPayment(ctx, t.id, attempt, outcome);
  // Whatever this attempt sent has reached the node by now, or never will.
  await releaseLease(ctx.sql, t.id, attempt);
  return t;
}
