// A reward on a settled invoice: read the invoice from the store, work out the reward from the
// business's rule, pay it to the buyer through routing (an account here: a transfer, with the DM
// bot's notice; elsewhere: their lightning address), once per invoice by its idempotency key.
// A buyer with no address, or one that cannot be paid, gets a pull payment on the store
// instead: an LNURL-withdraw link the store shows, paid by Flash as the store's payout processor.
import type { Context } from '../../core/context.ts';
import { toBtc, toMsat } from '../../core/btcpay/amounts.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';
import { buyerOf, rewardFor, rewardRule, type Buyer } from '../../core/btcpay/rewards.ts';
import { cardHolder } from '../../core/cards/cards.ts';
import { LnurlError } from '../../core/lnurl.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { RouteError } from '../../core/routing/errors.ts';
import { parseRecipient } from '../../core/routing/recipient.ts';
import { routeOf, routingDeps, type Route } from '../../core/routing/route.ts';
import { sendPayment, settled } from '../../core/routing/send.ts';
import { KeyError } from '../../core/nostr/keys.ts';
import { ok } from './greenfield.ts';
import type { Store } from './store.ts';

export type RewardOutcome = 'no_rule' | 'not_settled' | 'too_small' | 'unsupported_amount' | 'paid' | 'pending' | 'pull_payment' | 'done_before';

/** The name of a reward's pull payment: found again by it if a run stops after creating one. */
const pullPaymentName = (invoiceId: string) => `Flash reward ${invoiceId}`;

export async function rewardInvoice(ctx: Context, store: Store, invoiceId: string): Promise<RewardOutcome> {
  const { link, api } = store;
  const [done] = await ctx.sql<{ status: string }[]>`select status from btcpay_rewards where link_id = ${link.id} and invoice_id = ${invoiceId}`;
  if (done && done.status !== 'pending') return 'done_before';
  const rule = await rewardRule(ctx.sql, link.businessAccountId);
  if (!rule) return 'no_rule';

  const invoice = await ok('GET invoice', api.GET('/api/v1/invoices/{invoiceId}', { params: { path: { invoiceId } } }));
  if (invoice.status !== 'Settled') return 'not_settled';
  let paidMsat: bigint;
  try {
    paidMsat = toMsat(invoice.paidAmount ?? invoice.amount ?? '0', invoice.currency ?? '');
  } catch (err) {
    if (!(err instanceof BtcpayError)) throw err;
    ctx.log.info({ link: link.id, invoiceId, currency: invoice.currency }, 'no reward: the invoice is not in a bitcoin denomination');
    return 'unsupported_amount';
  }
  const amountMsat = rewardFor(rule, paidMsat);
  if (amountMsat === 0n) return 'too_small';
  const buyer = buyerOf(invoice.metadata as Record<string, unknown> | undefined);
  await ctx.sql`
    insert into btcpay_rewards (link_id, invoice_id, buyer, amount_msat, status)
    values (${link.id}, ${invoiceId}, ${buyer ? (buyer.type === 'card' ? `card:${buyer.cardId}` : buyer.text) : null}, ${amountMsat}, 'pending')
    on conflict do nothing`;

  const route = buyer && await routeOfBuyer(ctx, buyer);
  if (route) {
    const outcome = await sendPayment(ctx, routingDeps(ctx), {
      payerAccountId: link.businessAccountId, idempotencyKey: `btcpay:reward:${link.id}:${invoiceId}`, route, amountMsat,
      memo: `Reward for your purchase (BTCPay invoice ${invoiceId})`, metadata: { btcpay: { linkId: link.id, invoiceId, reward: true } },
      waitMs: ctx.config.BTCPAY_PAY_WAIT_SECONDS * 1000,
    }).catch((err: unknown) => {
      if (err instanceof PaymentError || err instanceof LnurlError) return { failed: err.message };
      throw err;
    });
    const { status, transactionId } = 'failed' in outcome ? { status: 'failed', transactionId: null } : settled(outcome);
    if (status === 'succeeded') {
      await ctx.sql`update btcpay_rewards set status = 'paid', transaction_id = ${transactionId} where link_id = ${link.id} and invoice_id = ${invoiceId}`;
      return 'paid';
    }
    // Unknown is not failed: the job runs again and finds the payment by its key.
    if (status === 'pending') return 'pending';
    ctx.log.info({ link: link.id, invoiceId, outcome }, 'reward payment failed: leaving a pull payment instead');
  }
  await leavePullPayment(ctx, store, invoiceId, amountMsat);
  return 'pull_payment';
}

/** The buyer as a route, or undefined when they cannot be paid directly (no such address, a card not known). */
async function routeOfBuyer(ctx: Context, buyer: Buyer): Promise<Route | undefined> {
  if (buyer.type === 'card') {
    const holder = await cardHolder(ctx.sql, buyer.cardId);
    return holder && { rail: 'internal', ...holder };
  }
  try {
    const recipient = parseRecipient(buyer.text);
    // A reward goes to a person: an invoice or an on-chain address in the metadata is no buyer.
    if (recipient.type !== 'pubkey' && recipient.type !== 'address') return undefined;
    return await routeOf(ctx, routingDeps(ctx), recipient);
  } catch (err) {
    if (err instanceof RouteError || err instanceof LnurlError || err instanceof KeyError || err instanceof PaymentError) return undefined;
    throw err;
  }
}

async function leavePullPayment(ctx: Context, { link, api }: Store, invoiceId: string, amountMsat: bigint): Promise<void> {
  const name = pullPaymentName(invoiceId);
  const existing = (await ok('GET pull-payments', api.GET('/api/v1/stores/{storeId}/pull-payments', { params: { path: { storeId: link.storeId } } })))
    .find((p) => p.name === name);
  const pp = existing ?? await ok('POST pull-payments', api.POST('/api/v1/stores/{storeId}/pull-payments', {
    params: { path: { storeId: link.storeId } },
    body: { name, description: `Your reward for BTCPay invoice ${invoiceId}`, amount: toBtc(amountMsat), currency: 'BTC', autoApproveClaims: true, payoutMethods: ['BTC-LN'] },
  }));
  const lnurl = await ok('GET pull-payment lnurl', api.GET('/api/v1/pull-payments/{pullPaymentId}/lnurl', { params: { path: { pullPaymentId: pp.id! } } }));
  await ctx.sql`
    update btcpay_rewards set status = 'pull_payment', pull_payment_id = ${pp.id!}, claim_link = ${lnurl.lnurlBech32 ?? null}
    where link_id = ${link.id} and invoice_id = ${invoiceId}`;
}
