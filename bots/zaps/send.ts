// Sending a zap from an account of ours: find where the recipient is paid (a user here: an
// internal payment of our own zap invoice, no Lightning; elsewhere: their LNURL server),
// build and sign the zap request, check the invoice, pay once per idempotency key.
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';
import { AbstractSimplePool } from 'nostr-tools/abstract-pool';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { descriptionHashOf, isLightningAddress, LnurlError, lnurlClient, parseLightningAddress, payTargetOfProfile, type LnurlClient } from '../../core/lnurl.ts';
import { createInvoice } from '../../core/payments/invoices.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { payInvoice, resultOf, type PaymentResult } from '../../core/payments/pay.ts';
import { findByKey } from '../../core/payments/transactions.ts';
import { ZapError } from './errors.ts';
import { buildZapRequest, parseZapRequest, ZapRequestError, type ZapTarget } from './nip57.ts';
import { addressDomain, ownerOf, ownZapRelays } from './receive.ts';
import { hex32 } from '../../core/hex.ts';
import type { Outbound } from '../../core/outbound.ts';
import { verifyEvent } from '../../core/nostr/secp.ts';

export { ZapError };

/** Where a recipient is paid: one of our users, or an LNURL-pay server elsewhere. */
export type PayRoute = { route: 'internal'; pubkey: string; address?: string; accountId?: string } | { route: 'external'; pubkey?: string; target: string };


/** Looks up kind-0 profiles and zapped events on relays (ours, plus any a pointer names). */
export interface ProfileSource {
  profile(pubkey: string): Promise<NostrEvent | undefined>;
  event(id: string, relays?: string[]): Promise<NostrEvent | undefined>;
  close(): void;
}

export function relayProfiles(relays: string[], outbound: Outbound, maxWaitMs = 3000): ProfileSource {
  const pool = new AbstractSimplePool({ verifyEvent, websocketImplementation: outbound.WebSocket as unknown as typeof WebSocket, maxWaitForConnection: maxWaitMs });
  const used = new Set(relays);
  const newest = (events: NostrEvent[]) => events.sort((a, b) => b.created_at - a.created_at)[0];
  return {
    profile: async (pubkey) => newest(await pool.querySync(relays, { kinds: [0], authors: [pubkey] }, { maxWait: maxWaitMs })),
    async event(id, extra = []) {
      const urls = [...new Set([...relays, ...outbound.capRelays(extra)])];
      for (const u of urls) used.add(u);
      return newest(await pool.querySync(urls, { ids: [id] }, { maxWait: maxWaitMs }));
    },
    close: () => pool.close([...used]),
  };
}

/** What a zap needs from outside: LNURL, profiles, and how to sign the request. */
export interface ZapDeps {
  lnurl: LnurlClient;
  profiles: ProfileSource;
}

export const zapDeps = (ctx: Context): ZapDeps => ({ lnurl: lnurlClient(ctx.config, ctx.outbound.fetch), profiles: relayProfiles(ownZapRelays(ctx.config), ctx.outbound) });

const NIP05 = /^([a-z0-9._-]+)@([a-z0-9.-]+(?::\d+)?)$/;

/** A recipient as people write it: npub/hex, NIP-05 name or lightning address → its route. */
export async function routeOf(ctx: Context, deps: ZapDeps, recipient: { pubkey: string } | { address: string }): Promise<PayRoute> {
  if ('address' in recipient) {
    const { name, domain } = parseLightningAddress(recipient.address);
    if (domain === addressDomain(ctx.config)) {
      const pubkey = await ownerOf(ctx, name);
      if (!pubkey) throw new ZapError('unknown_recipient', `no lightning address ${recipient.address}`);
      return { route: 'internal', pubkey, address: recipient.address };
    }
    // Its NIP-05 name (same name@domain), when there is one, gives the zap request's p.
    return { route: 'external', target: recipient.address, pubkey: await resolveNip05(ctx, deps, recipient.address) };
  }
  // A user here (has an account) is paid here; anyone else where their profile says.
  const account = await accounts.findByPubkey(ctx.sql, recipient.pubkey);
  if (account) return { route: 'internal', pubkey: recipient.pubkey, accountId: account.id };
  const profile = await deps.profiles.profile(recipient.pubkey);
  const target = profile && payTargetOfProfile(profile.content);
  if (!target || (isLightningAddress(target) && parseLightningAddress(target).domain === addressDomain(ctx.config))) {
    return { route: 'internal', pubkey: recipient.pubkey };
  }
  return { route: 'external', pubkey: recipient.pubkey, target };
}

/** NIP-05 `name@domain` → pubkey (our own names without HTTP). */
export async function resolveNip05(ctx: Context, deps: ZapDeps, id: string, fetchImpl: typeof fetch = ctx.outbound.fetch): Promise<string | undefined> {
  const m = NIP05.exec(id.toLowerCase());
  if (!m) return undefined;
  if (m[2] === addressDomain(ctx.config)) return ownerOf(ctx, m[1]!);
  const base = new URL(deps.lnurl.addressUrl({ name: m[1]!, domain: m[2]! })).origin;
  try {
    const res = await fetchImpl(`${base}/.well-known/nostr.json?name=${encodeURIComponent(m[1]!)}`, { redirect: 'error', signal: AbortSignal.timeout(ctx.config.LNURL_TIMEOUT_MS) });
    const body = z.object({ names: z.record(z.string(), hex32) }).safeParse(await res.json());
    return body.success ? body.data.names[m[1]!] : undefined;
  } catch {
    return undefined;
  }
}

export interface ZapOrder {
  payerAccountId: string;
  /** Unique per zap for this payer: a repeat returns the first outcome and pays nothing. */
  idempotencyKey: string;
  route: PayRoute;
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

export interface ZapOutcome { route: PayRoute['route']; payment: PaymentResult; zapRequest?: string }

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
export async function sendZap(ctx: Context, deps: ZapDeps, order: ZapOrder): Promise<ZapOutcome> {
  const done = await findByKey(ctx.sql, order.payerAccountId, order.idempotencyKey);
  if (done?.direction === 'outgoing') return { route: order.route.route, payment: resultOf(done) };
  return payZap(ctx, deps, order);
}

/**
 * sendZap for a caller that knows no payment exists under the key yet (a batch looks its
 * lines up at once). Still pays at most once: invoice and payment are idempotent on the key.
 */
export async function payZap(ctx: Context, deps: ZapDeps, order: ZapOrder): Promise<ZapOutcome> {
  const pay = (paymentRequest: string, zapRequest?: string) => payInvoice(ctx, {
    accountId: order.payerAccountId, idempotencyKey: order.idempotencyKey, paymentRequest, waitMs: order.waitMs ?? ctx.config.BUSINESS_PAY_TIMEOUT_MS,
    memo: order.memo, metadata: zapRequest ? { zapRequest } : undefined,
    // The internal zap invoice is made for this payment: no cancel job for the node's copy.
    keepNodeInvoice: order.route.route === 'internal',
  }).then((payment) => ({ route: order.route.route, payment, zapRequest }));

  if (order.route.route === 'internal') {
    const zapRequest = zapRequestJson(order, order.route.pubkey);
    const recipientId = order.route.accountId ?? (await accounts.forPubkey(ctx.sql, order.route.pubkey)).id;
    if (recipientId === order.payerAccountId) throw new ZapError('self_zap', 'cannot zap yourself');
    const invoice = await createInvoice(ctx, {
      accountId: recipientId, idempotencyKey: `zap:${order.payerAccountId}:${order.idempotencyKey}`, amountMsat: order.amountMsat,
      descriptionHash: descriptionHashOf(zapRequest ?? order.comment ?? ''),
      metadata: zapRequest ? { zapRequest, comment: order.comment } : undefined,
    });
    return pay(invoice.paymentRequest!, zapRequest);
  }

  const payRequest = await deps.lnurl.resolve(order.route.target);
  const recipientPubkey = order.route.pubkey ?? parseSignedRecipient(order.signed);
  const zapRequest = payRequest.allowsNostr && recipientPubkey ? zapRequestJson(order, recipientPubkey, undefined) : undefined;
  const invoice = await deps.lnurl.requestInvoice(payRequest, { amountMsat: order.amountMsat, comment: order.comment, zapRequest });
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
  if (err instanceof ZapError) return err.code;
  if (err instanceof LnurlError) return `lnurl_${err.code}`;
  if (err instanceof PaymentError) return err.code;
  return 'error';
}
