// Any recipient → a route: an account here (internal transfer, no Lightning), an LNURL-pay
// server elsewhere, or an invoice. One rule for every caller (DM bot, zaps, business batches):
//
// - a pubkey (npub, nprofile, hex) with an account here is paid here; one without whose profile
//   names a lightning address elsewhere that answers is paid there; any other pubkey is paid
//   into its account here, made on first use (its lightning address npub1…@ours takes money
//   the same way);
// - our own name@domain (npub, username, the DM bot's name) is paid to its owner here;
// - another domain's name@domain: its NIP-05 key, when that key has an account here, is paid
//   here; else its lightning address; else (no LNURL server) its NIP-05 key, here;
// - an invoice is paid as an invoice (the payment engine checks it), a bech32 LNURL through it;
// - on-chain addresses and Cashu tokens: `not_supported` until their rails exist.
import { z } from 'zod';
import type { Context } from '../context.ts';
import { addressDomain, ownZapRelays } from '../addresses/addresses.ts';
import { ownerOf } from '../addresses/usernames.ts';
import { resolveNip05 } from '../addresses/nip05.ts';
import { hex32 } from '../hex.ts';
import { accountIdsOf } from '../ledger/account-ids.ts';
import * as accounts from '../ledger/accounts.ts';
import { isLightningAddress, LnurlError, lnurlClient, parseLightningAddress, payTargetOfProfile, type LnurlClient, type PayRequest } from '../lnurl.ts';
import { Bolt11Error, decodeBolt11 } from '../lightning/bolt11.ts';
import { PaymentError } from '../payments/errors.ts';
import { RouteError } from './errors.ts';
import { relayProfiles, type ProfileSource } from './profiles.ts';
import type { Recipient } from './recipient.ts';

export type Route =
  /** `accountId` when the account exists already; otherwise it is made when paid. */
  | { rail: 'internal'; pubkey: string; accountId?: string }
  /** `pubkey`: the recipient's key when known (a zap request's p). */
  | { rail: 'lnurl'; target: string; pubkey?: string; payRequest: PayRequest }
  /** Decoded only to show and confirm it; the payment engine checks it when paying. */
  | { rail: 'invoice'; paymentRequest: string; amountMsat?: bigint; description?: string; network: string };

/** What routing needs from outside: LNURL-pay, and profiles on relays. */
export interface RoutingDeps {
  lnurl: LnurlClient;
  profiles: ProfileSource;
}

export const routingDeps = (ctx: Context): RoutingDeps => ({ lnurl: lnurlClient(ctx.config, ctx.outbound.fetch), profiles: relayProfiles(ownZapRelays(ctx.config), ctx.outbound) });

export async function routeOf(ctx: Context, deps: RoutingDeps, recipient: Recipient): Promise<Route> {
  switch (recipient.type) {
    case 'pubkey': return routeOfPubkey(ctx, deps, recipient.pubkey);
    case 'address': return routeOfAddress(ctx, deps, recipient);
    case 'lnurl': return { rail: 'lnurl', target: recipient.lnurl, payRequest: await deps.lnurl.resolve(recipient.lnurl) };
    case 'invoice': return routeOfInvoice(recipient.paymentRequest);
    case 'onchain': throw new RouteError('not_supported', 'on-chain addresses cannot be paid here yet');
    case 'cashu': throw new RouteError('not_supported', 'Cashu tokens cannot be paid here yet');
  }
}

async function accountOf(ctx: Context, pubkey: string): Promise<string | undefined> {
  return accountIdsOf(ctx.sql).known(pubkey) ?? (await accounts.findByPubkey(ctx.sql, pubkey))?.id;
}

const isOurs = (ctx: Context, target: string) => isLightningAddress(target) && parseLightningAddress(target).domain === addressDomain(ctx.config);

async function routeOfPubkey(ctx: Context, deps: RoutingDeps, pubkey: string): Promise<Route> {
  const accountId = await accountOf(ctx, pubkey);
  if (accountId) return { rail: 'internal', pubkey, accountId };
  const profile = await deps.profiles.profile(pubkey);
  const target = profile && payTargetOfProfile(profile.content);
  if (target && !isOurs(ctx, target)) {
    try {
      return { rail: 'lnurl', target, pubkey, payRequest: await deps.lnurl.resolve(target) };
    } catch (err) {
      // A lightning address that does not answer: the money waits here for its owner instead.
      if (!(err instanceof LnurlError)) throw err;
    }
  }
  return { rail: 'internal', pubkey };
}

async function routeOfOwnName(ctx: Context, name: string): Promise<Route> {
  const pubkey = await ownerOf(ctx, name);
  if (!pubkey) throw new RouteError('unknown_recipient', `no user ${name}@${addressDomain(ctx.config)} here`);
  return { rail: 'internal', pubkey, accountId: await accountOf(ctx, pubkey) };
}

async function routeOfAddress(ctx: Context, deps: RoutingDeps, a: Extract<Recipient, { type: 'address' }>): Promise<Route> {
  if (a.domain === addressDomain(ctx.config)) return routeOfOwnName(ctx, a.name);
  const pubkey = await resolveNip05(ctx, deps.lnurl, a.address);
  const accountId = pubkey && await accountOf(ctx, pubkey);
  if (pubkey && accountId) return { rail: 'internal', pubkey, accountId };
  try {
    return { rail: 'lnurl', target: a.address, pubkey, payRequest: await deps.lnurl.resolve(a.address) };
  } catch (err) {
    if (err instanceof LnurlError && pubkey) return { rail: 'internal', pubkey };
    throw err;
  }
}

function routeOfInvoice(paymentRequest: string): Route {
  try {
    const invoice = decodeBolt11(paymentRequest);
    return { rail: 'invoice', paymentRequest: invoice.paymentRequest, amountMsat: invoice.amountMsat, description: invoice.description || undefined, network: invoice.network };
  } catch (err) {
    if (err instanceof Bolt11Error) throw new PaymentError('invalid_invoice', err.message);
    throw err;
  }
}

const msat = z.union([z.bigint(), z.string().regex(/^\d{1,18}$/).transform(BigInt)]);
/** A route as stored JSON (a payment parked for a confirmation): bigints as strings. */
export const routeJson = z.discriminatedUnion('rail', [
  z.object({ rail: z.literal('internal'), pubkey: hex32, accountId: z.uuid().optional() }),
  z.object({
    rail: z.literal('lnurl'), target: z.string(), pubkey: hex32.optional(),
    payRequest: z.object({
      callback: z.string(), minSendableMsat: msat, maxSendableMsat: msat, metadata: z.string(), commentAllowed: z.number(),
      allowsNostr: z.boolean(), nostrPubkey: hex32.optional(), url: z.string(),
    }),
  }),
  z.object({ rail: z.literal('invoice'), paymentRequest: z.string(), amountMsat: msat.optional(), description: z.string().optional(), network: z.string() }),
]);

export const toJson = (route: Route): unknown => JSON.parse(JSON.stringify(route, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
