// Sending a zap from an account of ours: the recipient's route (core/routing: a user here is
// paid by an internal payment of our own zap invoice, no Lightning; anyone else through their
// LNURL server), the zap request built and signed, the invoice checked, paid once per
// idempotency key.
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';
import type { Context } from '../context.ts';
import { accountIdsOf } from '../ledger/account-ids.ts';
import { descriptionHashOf, LnurlError } from '../lnurl.ts';
import { KeyError } from '../nostr/keys.ts';
import { buildZapRequest, parseZapRequest, ZapRequestError, type ZapTarget } from '../nostr/nip57.ts';
import { createInvoice } from '../lightning/invoices.ts';
import { PaymentError } from '../payments/errors.ts';
import { payInvoice } from '../lightning/pay.ts';
import { resultOf, type PaymentResult } from '../payments/outgoing.ts';
import { findByKey } from '../payments/transactions.ts';
import { RouteError } from '../routing/errors.ts';
import { NOTIFY } from '../routing/send.ts';
import type { Route, RoutingDeps } from '../routing/route.ts';
import { ZapError } from './errors.ts';

/** How a zap was paid, as batch reports name it. */
export type ZapRoute = 'internal' | 'external';
const zapRouteOf = (route: Route): ZapRoute => (route.rail === 'lnurl' ? 'external' : 'internal');

export interface ZapOrder {
  payerAccountId: string;
  /** Unique per zap for this payer: a repeat returns the first outcome and pays nothing. */
  idempotencyKey: string;
  route: Route;
  /** What is zapped besides the recipient (an event, an addressable event). */
  target?: Omit<ZapTarget, 'recipient'>;
  amountMsat: bigint;
  comment?: string;
  /** Relays for the receipt (ours are added by our zapper anyway). */
  relays: string[];
  /** Signs the zap request template (a user's key, a business's key, or a throwaway one). */
  sign?: (template: EventTemplate) => NostrEvent;
  /** A zap request already signed by the payer, used as is once validated. */
  signed?: string;
  waitMs?: number;
  memo?: string;
}

export interface ZapOutcome { route: ZapRoute; payment: PaymentResult; zapRequest?: string }

function zapRequestJson(order: ZapOrder, recipient: string, lnurl?: string): string | undefined {
  const json = order.signed ?? (order.sign && JSON.stringify(order.sign(buildZapRequest({
    recipient, ...order.target, amountMsat: order.amountMsat, relays: order.relays, comment: order.comment, lnurl,
  }))));
  if (json === undefined) return undefined;
  try {
    // Ours are checked too (not the signature just made): a request no receipt can follow is never paid.
    return parseZapRequest(json, { amountMsat: order.amountMsat, recipient, trusted: order.signed === undefined }).json;
  } catch (err) {
    if (err instanceof ZapRequestError) throw new ZapError(`zap_request_${err.code}`, err.message);
    throw err;
  }
}

/** Pays one zap; the same (payer, idempotencyKey) never pays twice. */
export async function sendZap(ctx: Context, deps: RoutingDeps, order: ZapOrder): Promise<ZapOutcome> {
  const done = await findByKey(ctx.sql, order.payerAccountId, order.idempotencyKey);
  if (done?.direction === 'outgoing') return { route: zapRouteOf(order.route), payment: resultOf(done) };
  return payZap(ctx, deps, order);
}

/**
 * sendZap for a caller that knows no payment exists under the key yet (a batch looks its
 * lines up at once). Still pays at most once: invoice and payment are idempotent on the key.
 */
export async function payZap(ctx: Context, deps: RoutingDeps, order: ZapOrder): Promise<ZapOutcome> {
  const { route } = order;
  const pay = (paymentRequest: string, zapRequest?: string) => payInvoice(ctx, {
    accountId: order.payerAccountId, idempotencyKey: order.idempotencyKey, paymentRequest, waitMs: order.waitMs ?? ctx.config.BUSINESS_PAY_TIMEOUT_MS,
    memo: order.memo, metadata: zapRequest ? { zapRequest } : undefined,
    // The internal zap invoice is made for this payment: no cancel job for the node's copy.
    keepNodeInvoice: route.rail === 'internal',
  }).then((payment) => ({ route: zapRouteOf(route), payment, zapRequest }));

  if (route.rail === 'invoice') throw new ZapError('invalid_target', 'an invoice cannot be zapped: pay it instead');
  if (route.rail === 'internal') {
    const zapRequest = zapRequestJson(order, route.pubkey);
    const recipientId = route.accountId ?? await accountIdsOf(ctx.sql).forPubkey(route.pubkey);
    if (recipientId === order.payerAccountId) throw new ZapError('self_zap', 'cannot zap yourself');
    const invoice = await createInvoice(ctx, {
      accountId: recipientId, idempotencyKey: `zap:${order.payerAccountId}:${order.idempotencyKey}`, amountMsat: order.amountMsat,
      descriptionHash: descriptionHashOf(zapRequest ?? order.comment ?? ''),
      metadata: { ...(zapRequest ? { zapRequest, comment: order.comment } : {}), ...NOTIFY },
    });
    return pay(invoice.paymentRequest!, zapRequest);
  }

  const recipientPubkey = route.pubkey ?? parseSignedRecipient(order.signed);
  const zapRequest = route.payRequest.allowsNostr && recipientPubkey ? zapRequestJson(order, recipientPubkey, undefined) : undefined;
  const invoice = await deps.lnurl.requestInvoice(route.payRequest, { amountMsat: order.amountMsat, comment: order.comment, zapRequest });
  return pay(invoice.paymentRequest, zapRequest);
}

function parseSignedRecipient(signed: string | undefined): string | undefined {
  if (signed === undefined) return undefined;
  try {
    return parseZapRequest(signed, {}).recipient;
  } catch {
    return undefined;
  }
}

/** A stable reason for any failure of sendZap, for batch lines and DM replies. */
export function zapFailureReason(err: unknown): string {
  if (err instanceof ZapError || err instanceof RouteError) return err.code;
  if (err instanceof KeyError) return 'invalid_recipient';
  if (err instanceof LnurlError) return `lnurl_${err.code}`;
  if (err instanceof PaymentError) return err.code;
  return 'error';
}
