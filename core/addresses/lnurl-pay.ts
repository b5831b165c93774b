// LNURL-pay server: every user's lightning address (LUD-06/12/16 with NIP-57), by username or
// by npub. The callback's invoice comes from the payment engine (through the lightning
// queue), committed to the metadata or to the zap request, which it keeps.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CodedError } from '../errors.ts';
import type { Config } from '../config.ts';
import type { Context } from '../context.ts';
import { accountIdsOf } from '../ledger/account-ids.ts';
import { descriptionHashOf } from '../lnurl.ts';
import { parseZapRequest, ZapRequestError } from '../nostr/nip57.ts';
import { createInvoice } from '../lightning/invoices.ts';
import { NOTIFY } from '../routing/send.ts';
import { addressDomain, zapperKey } from './addresses.ts';
import { ownerOf } from './usernames.ts';

/** Why a pay request or callback is refused; api/lnurl answers it in LUD-06's shape. */
export class LnurlPayError extends CodedError<'unknown_name' | 'invalid_request'> {
  override name = 'LnurlPayError';
}

async function requireOwner(ctx: Context, name: string): Promise<string> {
  const pubkey = await ownerOf(ctx, name);
  if (!pubkey) throw new LnurlPayError('unknown_name', `no lightning address ${name}@${addressDomain(ctx.config)}`);
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
  if (!q.success) throw new LnurlPayError('invalid_request', q.error.issues.map((i) => i.message).join('; '));
  const { amount, comment, nostr } = q.data;
  const recipient = await requireOwner(ctx, name);
  const min = ctx.config.LNURL_MIN_SENDABLE_MSAT;
  const max = maxSendable(ctx.config);
  if (amount < min || amount > max) throw new LnurlPayError('invalid_request', `amount must be between ${min} and ${max} msat`);
  if (comment !== undefined && comment.length > ctx.config.LNURL_COMMENT_ALLOWED) {
    throw new LnurlPayError('invalid_request', `comment longer than ${ctx.config.LNURL_COMMENT_ALLOWED} characters`);
  }
  let described = metadataOf(ctx.config, name);
  if (nostr !== undefined) {
    try {
      described = parseZapRequest(nostr, { amountMsat: amount, recipient }).json;
    } catch (err) {
      if (err instanceof ZapRequestError) throw new LnurlPayError('invalid_request', err.message);
      throw err;
    }
  }
  const invoice = await createInvoice(ctx, {
    accountId: await accountIdsOf(ctx.sql).forPubkey(recipient),
    idempotencyKey: `lnurlp:${randomUUID()}`,
    amountMsat: amount,
    descriptionHash: descriptionHashOf(described),
    // Money to an address is money to its owner's key: they are told, as for any payment routed to a key.
    metadata: { ...(nostr !== undefined ? { zapRequest: described, comment } : comment !== undefined ? { comment } : {}), ...NOTIFY },
  });
  return { pr: invoice.paymentRequest!, routes: [] };
}
