// Receiving: every user's lightning address (LUD-06/12/16 with NIP-57) and NIP-05 name, by
// username or by npub. The callback's invoice comes from the payment engine (through the
// lightning queue), committed to the metadata or to the zap request, which it keeps.
import { randomUUID } from 'node:crypto';
import { nip19 } from 'nostr-tools';
import { z } from 'zod';
import { HttpStatusError } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { Context } from '../../core/context.ts';
import { accountIdsOf } from '../../core/ledger/account-ids.ts';
import { findBotKey, loadBotKey, type KeyPair } from '../../core/nostr/keys.ts';
import { descriptionHashOf } from '../../core/lnurl.ts';
import { createInvoice } from '../../core/payments/invoices.ts';
import { botRelays } from '../identity.ts';
import { parseZapRequest, ZapRequestError } from './nip57.ts';
import { pubkeyOfUsername } from './usernames.ts';

/** LUD-06 errors: `{"status":"ERROR","reason":…}` with the HTTP status to send it with. */
export class LnurlPayError extends HttpStatusError {
  override name = 'LnurlPayError';
}

const keys = new WeakMap<Context, Promise<KeyPair>>();
/** The zapper's key: signs receipts; its pubkey is every address's `nostrPubkey`. */
export function zapperKey(ctx: Context): Promise<KeyPair> {
  let key = keys.get(ctx);
  if (!key) {
    key = loadBotKey(ctx.secrets, 'zapper', ctx.config.ZAP_NSEC);
    key.catch(() => keys.delete(ctx));
    keys.set(ctx, key);
  }
  return key;
}

/** The host of PUBLIC_URL: the domain of every lightning address and NIP-05 name here. */
export const addressDomain = (config: Config): string => new URL(config.publicUrl).host;

/** Where our receipts go besides the request's relays. */
export const ownZapRelays = (config: Config): string[] => (config.ZAP_RELAYS.length ? config.ZAP_RELAYS : botRelays(config));

/** The pubkey behind `name` here: an npub, a username, or the DM bot's name. */
export async function ownerOf(ctx: Context, name: string): Promise<string | undefined> {
  const lower = name.toLowerCase();
  if (lower.startsWith('npub1')) {
    try {
      const d = nip19.decode(lower as `npub1${string}`);
      return d.type === 'npub' ? d.data : undefined;
    } catch {
      return undefined;
    }
  }
  if (!/^[a-z0-9._-]{1,64}$/.test(lower)) return undefined;
  if (lower === ctx.config.BOT_DM_USERNAME) return (await findBotKey(ctx.secrets, 'dm', ctx.config.BOT_DM_NSEC))?.pubkey;
  return pubkeyOfUsername(ctx.sql, lower);
}

async function requireOwner(ctx: Context, name: string): Promise<string> {
  const pubkey = await ownerOf(ctx, name);
  if (!pubkey) throw new LnurlPayError(404, `no lightning address ${name}@${addressDomain(ctx.config)}`);
  return pubkey;
}

/** LUD-06 metadata; the same string in the pay request and in the invoice's description hash. */
export function metadataOf(config: Config, name: string): string {
  const address = `${name.toLowerCase()}@${addressDomain(config)}`;
  return JSON.stringify([['text/plain', `Payment to ${address}`], ['text/identifier', address]]);
}

const maxSendable = (config: Config) => (config.LNURL_MAX_SENDABLE_MSAT < config.PAYMENT_MAX_MSAT ? config.LNURL_MAX_SENDABLE_MSAT : config.PAYMENT_MAX_MSAT);

export const callbackUrl = (config: Config, name: string) => `${config.publicUrl}/lnurlp/${encodeURIComponent(name.toLowerCase())}/callback`;

/** GET /.well-known/lnurlp/<name> */
export async function payRequest(ctx: Context, name: string): Promise<Record<string, unknown>> {
  await requireOwner(ctx, name);
  return {
    tag: 'payRequest',
    callback: callbackUrl(ctx.config, name),
    minSendable: Number(ctx.config.LNURL_MIN_SENDABLE_MSAT),
    maxSendable: Number(maxSendable(ctx.config)),
    metadata: metadataOf(ctx.config, name),
    commentAllowed: ctx.config.LNURL_COMMENT_ALLOWED,
    allowsNostr: true,
    nostrPubkey: (await zapperKey(ctx)).pubkey,
  };
}

const callbackQuery = z.object({
  amount: z.string().regex(/^\d{1,18}$/, 'amount must be a whole number of millisatoshis').transform(BigInt),
  comment: z.string().optional(),
  nostr: z.string().optional(),
  lnurl: z.string().optional(),
});

/** What an invoice issued by the callback keeps for the receipt (transaction metadata). */
export const zapMetadata = z.object({ zapRequest: z.string(), comment: z.string().optional() });

/** GET /lnurlp/<name>/callback?amount=…[&comment=…][&nostr=<zap request>] → `{pr, routes}` */
export async function payCallback(ctx: Context, name: string, query: unknown): Promise<{ pr: string; routes: [] }> {
  const q = callbackQuery.safeParse(query);
  if (!q.success) throw new LnurlPayError(400, q.error.issues.map((i) => i.message).join('; '));
  const { amount, comment, nostr } = q.data;
  const recipient = await requireOwner(ctx, name);
  const min = ctx.config.LNURL_MIN_SENDABLE_MSAT;
  const max = maxSendable(ctx.config);
  if (amount < min || amount > max) throw new LnurlPayError(400, `amount must be between ${min} and ${max} msat`);
  if (comment !== undefined && comment.length > ctx.config.LNURL_COMMENT_ALLOWED) {
    throw new LnurlPayError(400, `comment longer than ${ctx.config.LNURL_COMMENT_ALLOWED} characters`);
  }
  let described = metadataOf(ctx.config, name);
  if (nostr !== undefined) {
    try {
      described = parseZapRequest(nostr, { amountMsat: amount, recipient }).json;
    } catch (err) {
      if (err instanceof ZapRequestError) throw new LnurlPayError(400, err.message);
      throw err;
    }
  }
  const invoice = await createInvoice(ctx, {
    accountId: await accountIdsOf(ctx.sql).forPubkey(recipient),
    idempotencyKey: `lnurlp:${randomUUID()}`,
    amountMsat: amount,
    descriptionHash: descriptionHashOf(described),
    metadata: nostr !== undefined ? { zapRequest: described, comment } : comment !== undefined ? { comment } : undefined,
  });
  return { pr: invoice.paymentRequest!, routes: [] };
}

/** GET /.well-known/nostr.json?name=<name> (NIP-05); unknown names give empty maps. */
export async function nostrJson(ctx: Context, name: string | undefined): Promise<{ names: Record<string, string>; relays: Record<string, string[]> }> {
  const pubkey = name ? await ownerOf(ctx, name) : undefined;
  if (!name || !pubkey) return { names: {}, relays: {} };
  return { names: { [name.toLowerCase()]: pubkey }, relays: { [pubkey]: botRelays(ctx.config) } };
}
