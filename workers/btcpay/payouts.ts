// Flash as the store's payout processor: each approved Lightning payout (AwaitingPayment: a
// BOLT 11 invoice, a lightning address or an LNURL) is paid from the business account and marked paid through Greenfield, once, whatever crashes or
// runs at the same time. The payment's idempotency key names the payout and an attempt number:
// a repeat (a second worker, a run after a crash between paying and marking) finds the same
// payment and only marks; a failed payment moves to the next attempt and leaves the payout for
// the next run; one with no outcome yet marks the payout InProgress and waits.
import type { Context } from '../../core/context.ts';
import { toMsat } from '../../core/btcpay/amounts.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';
import { LnurlError } from '../../core/lnurl.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { RouteError } from '../../core/routing/errors.ts';
import { parseRecipient } from '../../core/routing/recipient.ts';
import { routeOf, routingDeps } from '../../core/routing/route.ts';
import { sendPayment, settled } from '../../core/routing/send.ts';
import { GreenfieldError, ok, type PayoutData } from './greenfield.ts';
import type { Store } from './store.ts';

export interface PayoutRun { paid: number; marked: number; failed: number; pending: number }

interface PayoutRow { attempt: number; status: 'paying' | 'paid' | 'marked' }

export async function runPayouts(ctx: Context, store: Store): Promise<PayoutRun> {
  const { link, api } = store;
  const run: PayoutRun = { paid: 0, marked: 0, failed: 0, pending: 0 };
  const payouts = await ok('GET payouts', api.GET('/api/v1/stores/{storeId}/payouts', { params: { path: { storeId: link.storeId } } }));
  for (const p of payouts) {
    if (p.payoutMethodId !== 'BTC-LN' || (p.state !== 'AwaitingPayment' && p.state !== 'InProgress')) continue;
    const [mine] = await ctx.sql<PayoutRow[]>`select attempt, status from btcpay_payouts where link_id = ${link.id} and payout_id = ${p.id!}`;
    // InProgress payouts are another processor's unless they are ours.
    if (p.state === 'InProgress' && !mine) continue;
    try {
      await payOut(ctx, store, p, run);
    } catch (err) {
      if (!(err instanceof PaymentError || err instanceof BtcpayError)) throw err;
      run.failed++;
      ctx.log.warn({ link: link.id, payout: p.id, err }, 'BTCPay payout not paid');
    }
  }
  return run;
}

async function payOut(ctx: Context, { link, api }: Store, p: PayoutData, run: PayoutRun): Promise<void> {
  const payoutId = p.id!;
  const [row] = await ctx.sql<PayoutRow[]>`
    insert into btcpay_payouts (link_id, payout_id) values (${link.id}, ${payoutId})
    on conflict (link_id, payout_id) do update set updated_at = now() returning attempt, status`;
  if (row!.status === 'paying') {
    const amountMsat = toMsat(p.payoutAmount ?? p.originalAmount ?? '0', p.payoutCurrency ?? 'BTC');
    // A BOLT 11 invoice, a lightning address or an LNURL: whatever BTCPay took as the destination.
    const result = await routeOf(ctx, routingDeps(ctx), parseRecipient((p.destination ?? '').replace(/^lightning:/i, '')))
      .then((route) => sendPayment(ctx, routingDeps(ctx), {
        payerAccountId: link.businessAccountId, idempotencyKey: `btcpay:payout:${link.id}:${payoutId}:${row!.attempt}`, route, amountMsat,
        memo: `BTCPay payout ${payoutId}`, waitMs: ctx.config.BTCPAY_PAY_WAIT_SECONDS * 1000, metadata: { btcpay: { linkId: link.id, payoutId } },
      }))
      .then(settled, (err: unknown) => {
        // No payment was made: the destination could not be reached or refused the amount.
        if (err instanceof RouteError || err instanceof LnurlError) return { status: 'failed' as const, transactionId: undefined };
        throw err;
      });
    if (result.status === 'failed') {
      await ctx.sql`update btcpay_payouts set attempt = attempt + 1, updated_at = now() where link_id = ${link.id} and payout_id = ${payoutId} and attempt = ${row!.attempt}`;
      run.failed++;
      return;
    }
    if (result.status === 'pending') {
      if (p.state !== 'InProgress') await ok('mark InProgress', api.POST('/api/v1/payouts/{payoutId}/mark', { params: { path: { payoutId } }, body: { state: 'InProgress' } }));
      run.pending++;
      return;
    }
    await ctx.sql`update btcpay_payouts set status = 'paid', transaction_id = ${result.transactionId ?? null}, updated_at = now() where link_id = ${link.id} and payout_id = ${payoutId}`;
    run.paid++;
  }
  if (row!.status !== 'marked') {
    try {
      await ok('mark-paid', api.POST('/api/v1/payouts/{payoutId}/mark-paid', { params: { path: { payoutId } } }));
    } catch (err) {
      // Another worker marked it first.
      if (!(err instanceof GreenfieldError && err.btcpayCode === 'invalid-state')) throw err;
    }
    await ctx.sql`update btcpay_payouts set status = 'marked', updated_at = now() where link_id = ${link.id} and payout_id = ${payoutId}`;
    run.marked++;
  }
}
