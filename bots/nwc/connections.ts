// Wallet connections: one per app, each with its own service key pair (the secret sealed with
// the master key), the app's public key (its secret is handed out once in the URI and never
// stored), scopes, a budget, an expiry, and optionally an isolated sub-wallet. The CLI and the
// DM bot create, list and revoke them here; the running service hears of changes by NOTIFY.
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import { CodedError, issuesText } from '../../core/errors.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { generateSecretKey, getPublicKey, parsePubkey } from '../../core/nostr/keys.ts';
import type { Keyring, SealedColumn } from '../../core/secrets.ts';
import { botRelays } from '../../core/nostr/relays.ts';
import { addressDomain } from '../../core/addresses/addresses.ts';
import { usernameOf } from '../../core/addresses/usernames.ts';
import { renewalPeriods, type Renewal } from './budget.ts';
import { scopes, type Scope } from './nip47.ts';

/** Postgres NOTIFY channel: a connection was created or revoked. */
export const CHANGES_CHANNEL = 'nwc_connections';

export type ConnectionStatus = 'active' | 'expired' | 'revoked';

export interface Connection {
  id: string;
  /** The owner's account. */
  accountId: string;
  /** Where payments draw from: the owner's account, or the isolated sub-wallet. */
  walletAccountId: string;
  isolated: boolean;
  name: string;
  servicePubkey: string;
  clientPubkey: string;
  scopes: Scope[];
  budgetMsat?: bigint;
  renewal: Renewal;
  lud16?: string;
  expiresAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
  status: ConnectionStatus;
}

export interface ConnectionRow {
  id: string; account_id: string; wallet_account_id: string; name: string; service_pubkey: string; service_secret: string;
  client_pubkey: string; scopes: string[]; budget_msat: bigint | null; budget_renewal: Renewal; lud16: string | null;
  expires_at: Date | null; revoked_at: Date | null; created_at: Date;
}

export function toConnection(r: ConnectionRow, now = Date.now()): Connection {
  return {
    id: r.id, accountId: r.account_id, walletAccountId: r.wallet_account_id, isolated: r.wallet_account_id !== r.account_id,
    name: r.name, servicePubkey: r.service_pubkey, clientPubkey: r.client_pubkey, scopes: r.scopes as Scope[],
    budgetMsat: r.budget_msat ?? undefined, renewal: r.budget_renewal, lud16: r.lud16 ?? undefined,
    expiresAt: r.expires_at ?? undefined, revokedAt: r.revoked_at ?? undefined, createdAt: r.created_at,
    status: r.revoked_at ? 'revoked' : r.expires_at && r.expires_at.getTime() <= now ? 'expired' : 'active',
  };
}

/** The master-key purpose a connection's service secret is sealed for. */
const sealContext = (servicePubkey: string) => `nwc:${servicePubkey}`;
export const serviceSecrets: SealedColumn = { table: 'nwc_connections', column: 'service_secret', by: 'service_pubkey', context: sealContext };

export function openServiceSecret(keyring: Keyring, row: Pick<ConnectionRow, 'service_pubkey' | 'service_secret'>): Uint8Array {
  return keyring.open(row.service_secret, sealContext(row.service_pubkey));
}

export const createConnectionOptions = z.object({
  /** The user: npub, nprofile or hex (or give `accountId`). */
  user: z.string().optional().transform((s, c) => {
    if (s === undefined) return undefined;
    try {
      return parsePubkey(s);
    } catch (err) {
      c.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  name: z.string().trim().min(1).max(100).default('Wallet connection'),
  /** Default: every method and notifications. */
  scopes: z.array(z.enum(scopes)).min(1).optional(),
  /** Spending limit per renewal period, in sats (none: unlimited). */
  budgetSats: z.bigint().min(1n).max(21_000_000n * 100_000_000n).optional(),
  /** Default: monthly when there is a budget. */
  renewal: z.enum(renewalPeriods).optional(),
  expiresAt: z.date().refine((d) => d.getTime() > Date.now(), 'the expiry must be in the future').optional(),
  /** A sub-wallet of its own, starting empty, instead of the user's balance. */
  isolated: z.boolean().default(false),
  /** The lightning address given to the app in the URI; default: the user's address here, if any. */
  lud16: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be name@domain').optional(),
  /** An existing holder account instead of a user's (a business: BTCPay's store wallet). */
  accountId: z.uuid().optional(),
}).refine((o) => (o.user === undefined) !== (o.accountId === undefined), 'give the user or an account, not both');
export type CreateConnectionOptions = z.input<typeof createConnectionOptions>;

export class ConnectionError extends CodedError<'invalid_connection'> {
  override name = 'ConnectionError';
  constructor(message: string) {
    super('invalid_connection', message);
  }
}

/** The nostr+walletconnect:// URI an app needs: our key, the relays, its secret, the address. */
export function connectionUri(servicePubkey: string, relays: string[], clientSecret: Uint8Array, lud16?: string): string {
  const q = new URLSearchParams();
  for (const r of relays) q.append('relay', r);
  q.set('secret', bytesToHex(clientSecret));
  if (lud16) q.set('lud16', lud16);
  return `nostr+walletconnect://${servicePubkey}?${q.toString()}`;
}

/**
 * Creates a connection for the user (their account is made on first use) and returns it with
 * the URI — the only place the app's secret ever appears.
 */
export async function createConnection(ctx: Context, options: CreateConnectionOptions): Promise<{ connection: Connection; uri: string }> {
  const parsed = createConnectionOptions.safeParse(options);
  if (!parsed.success) throw new ConnectionError(issuesText(parsed.error, 'options'));
  const o = parsed.data;
  const serviceSecret = generateSecretKey();
  const clientSecret = generateSecretKey();
  const servicePubkey = getPublicKey(serviceSecret);
  const username = o.lud16 || !o.user ? undefined : await usernameOf(ctx.sql, o.user);
  const lud16 = o.lud16 ?? (username && `${username}@${addressDomain(ctx.config)}`);
  const row = await ctx.sql.begin(async (tx) => {
    const owner = o.user ? await accounts.forPubkey(tx, o.user) : { id: o.accountId! };
    const wallet = o.isolated ? await accounts.createSubwallet(tx, { parentId: owner.id, name: `wallet connect: ${o.name}` }) : owner;
    const [created] = await tx<ConnectionRow[]>`
      insert into nwc_connections (account_id, wallet_account_id, name, service_pubkey, service_secret, client_pubkey, scopes,
        budget_msat, budget_renewal, lud16, expires_at)
      values (${owner.id}, ${wallet.id}, ${o.name}, ${servicePubkey}, ${ctx.keyring.seal(serviceSecret, sealContext(servicePubkey))},
        ${getPublicKey(clientSecret)}, ${o.scopes ? [...new Set(o.scopes)] : [...scopes]}, ${o.budgetSats !== undefined ? o.budgetSats * 1000n : null},
        ${o.renewal ?? (o.budgetSats !== undefined ? 'monthly' : 'never')}, ${lud16 ?? null}, ${o.expiresAt ?? null})
      returning *`;
    await tx`select pg_notify(${CHANGES_CHANNEL}, ${created!.id})`;
    return created!;
  });
  return { connection: toConnection(row), uri: connectionUri(servicePubkey, botRelays(ctx.config), clientSecret, lud16) };
}

/** The user's connections, newest first (revoked ones too). */
export async function listConnections(ctx: Context, user: string): Promise<Connection[]> {
  const pubkey = parsePubkey(user);
  const rows = await ctx.sql<ConnectionRow[]>`
    select c.* from nwc_connections c join accounts a on a.id = c.account_id
    where a.kind = 'user' and a.pubkey = ${pubkey} order by c.created_at desc`;
  return rows.map((r) => toConnection(r));
}

/**
 * Revokes a connection at once (its requests are answered UNAUTHORIZED from now on). Returns
 * undefined when there is no such connection; revoking twice keeps the first time. Pass
 * `accountId` to revoke only a connection of that owner (the DM bot does).
 */
export async function revokeConnection(ctx: Context, id: string, opts: { accountId?: string } = {}): Promise<Connection | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  return ctx.sql.begin(async (tx) => {
    const [row] = await tx<ConnectionRow[]>`
      update nwc_connections set revoked_at = coalesce(revoked_at, now())
      where id = ${id} ${opts.accountId ? tx`and account_id = ${opts.accountId}` : tx``} returning *`;
    if (row) await tx`select pg_notify(${CHANGES_CHANNEL}, ${row.id})`;
    return row && toConnection(row);
  });
}
