// Business accounts: a business account of the ledger tied to the business's own Nostr key,
// which authenticates its API calls (NIP-98); optionally a signing key it hands us for its
// zap requests, sealed under the master key.
import type { Redis } from 'ioredis';
import { getPublicKey } from 'nostr-tools/pure';
import type { Context } from '../context.ts';
import { isUniqueViolation } from '../db.ts';
import { CodedError } from '../errors.ts';
import type { SealedColumn } from '../secrets.ts';
import * as accounts from '../ledger/accounts.ts';
import { HttpAuthError, verifyHttpAuth, type HttpAuthRequest } from '../nostr/nip98.ts';

export interface Business { accountId: string; pubkey: string; name: string; concurrency: number; hasSigningKey: boolean }

export interface BusinessRow { account_id: string; pubkey: string; name: string; concurrency: number; sealed_signing_key: string | null }
export const toBusiness = (r: BusinessRow): Business => ({ accountId: r.account_id, pubkey: r.pubkey, name: r.name, concurrency: r.concurrency, hasSigningKey: r.sealed_signing_key !== null });

export class BusinessError extends CodedError<'exists'> {
  override name = 'BusinessError';
}

/** Registers a business for `pubkey` (hex); refuses a key already registered, even by a racing call. */
export async function createBusiness(ctx: Context, opts: { pubkey: string; name?: string; concurrency?: number }): Promise<Business> {
  try {
    return await ctx.sql.begin(async (tx) => {
      const account = await accounts.createBusiness(tx, { name: opts.name ?? `business ${opts.pubkey.slice(0, 8)}`, pubkey: opts.pubkey });
      const [row] = await tx<BusinessRow[]>`
        insert into businesses (account_id, pubkey, name, concurrency)
        values (${account.id}, ${opts.pubkey}, ${account.name!}, ${opts.concurrency ?? ctx.config.BUSINESS_CONCURRENCY}) returning *`;
      return toBusiness(row!);
    });
  } catch (err) {
    if (isUniqueViolation(err, 'businesses_pubkey_key')) throw new BusinessError('exists', 'a business with this key exists');
    throw err;
  }
}

export async function businessByPubkey(ctx: Context, pubkey: string): Promise<Business | undefined> {
  const [row] = await ctx.sql<BusinessRow[]>`select * from businesses where pubkey = ${pubkey}`;
  return row && toBusiness(row);
}

const sealPurpose = (accountId: string) => `business:${accountId}:zap-signing`;
export const businessSigningKeys: SealedColumn = { table: 'businesses', column: 'sealed_signing_key', by: 'account_id', context: sealPurpose };

/** Stores (sealed) the key the service signs this business's zap requests with. */
export async function setSigningKey(ctx: Context, accountId: string, secretKey: Uint8Array): Promise<string> {
  const pubkey = getPublicKey(secretKey);
  await ctx.sql`update businesses set sealed_signing_key = ${ctx.keyring.seal(secretKey, sealPurpose(accountId))} where account_id = ${accountId}`;
  return pubkey;
}

export const openSigningKey = (ctx: Context, accountId: string, sealed: string): Uint8Array => ctx.keyring.open(sealed, sealPurpose(accountId));

/**
 * NIP-98 for the business API: the header must sign this URL, method and body, be fresh,
 * be used once for writes (remembered in Redis for twice the window), and come from a registered key.
 */
export async function authenticateBusiness(ctx: Context, redis: Redis, req: Omit<HttpAuthRequest, 'windowSeconds'>): Promise<Business> {
  const window = ctx.config.BUSINESS_AUTH_WINDOW_SECONDS;
  const event = verifyHttpAuth({ ...req, windowSeconds: window });
  const business = await businessByPubkey(ctx, event.pubkey);
  if (!business) throw new HttpAuthError('unknown_key');
  // Reads may repeat (a poll in the same second signs the same event); writes may not.
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const fresh = await redis.set(`${ctx.config.REDIS_PREFIX}:nip98:${event.id}`, '1', 'EX', window * 2, 'NX');
    if (fresh !== 'OK') throw new HttpAuthError('replayed');
  }
  return business;
}
