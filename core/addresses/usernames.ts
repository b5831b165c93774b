// Usernames: the `<name>` of `<name>@<our domain>` (lightning address, NIP-05). Lower-case
// a-z 0-9 . _ -, unique, one per user; reserved names and anything shaped like an npub refused.
// `ownerOf` answers for every name here: an npub, a username, the DM bot's name.
import { nip19 } from 'nostr-tools';
import type { Context } from '../context.ts';
import { isUniqueViolation, type Sql } from '../db.ts';
import { CodedError } from '../errors.ts';
import { findBotKey } from '../nostr/keys.ts';
import { addressDomain } from './addresses.ts';

export const USERNAME_LENGTH = { min: 3, max: 32 } as const;
const SHAPE = /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/;

/** Names that would impersonate the operator or collide with paths and well-known roles. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin', 'administrator', 'root', 'system', 'support', 'help', 'info', 'contact', 'security', 'abuse', 'postmaster',
  'hostmaster', 'webmaster', 'noreply', 'no-reply', 'mail', 'www', 'api', 'app', 'status', 'flash', 'bot', 'bots',
  'wallet', 'zap', 'zaps', 'zapper', 'lnurl', 'lnurlp', 'nostr', 'relay', 'nip05', 'well-known', 'business', 'billing',
  'payments', 'pay', 'invoice', 'operator', 'owner', 'staff', 'mod', 'moderator', 'official', 'anonymous', 'anon',
  'null', 'undefined', 'test',
]);

export type UsernameErrorReason = 'invalid' | 'reserved' | 'taken';

export class UsernameError extends CodedError<UsernameErrorReason> {
  override name = 'UsernameError';
}

/** The canonical form of `input`, or a typed refusal. `extraReserved` adds configured names. */
export function checkUsername(input: string, extraReserved: Iterable<string> = []): string {
  const name = input.trim().replace(/^@/, '').toLowerCase();
  if (name.length < USERNAME_LENGTH.min || name.length > USERNAME_LENGTH.max || !SHAPE.test(name) || /[._-]{2}/.test(name)) {
    throw new UsernameError('invalid', `a username has ${USERNAME_LENGTH.min}-${USERNAME_LENGTH.max} characters a-z 0-9 . _ -, starting and ending with a letter or digit`);
  }
  if (RESERVED_USERNAMES.has(name) || new Set(extraReserved).has(name) || name.startsWith('npub1')) {
    throw new UsernameError('reserved', `"${name}" is reserved`);
  }
  return name;
}

/** Gives `pubkey` the name (replacing its previous one); refuses a name someone else holds. */
export async function claimUsername(sql: Sql, pubkey: string, name: string): Promise<void> {
  const [row] = await sql<{ pubkey: string }[]>`
    insert into usernames (name, pubkey) values (${name}, ${pubkey})
    on conflict (pubkey) do update set name = excluded.name, updated_at = now()
    returning pubkey`.catch((err: unknown) => {
    if (isUniqueViolation(err)) throw new UsernameError('taken', `"${name}" is taken`);
    throw err;
  });
  if (row?.pubkey !== pubkey) throw new UsernameError('taken', `"${name}" is taken`);
}

/** A user's `username <name>`: claims the name (replacing their previous one); returns the new address. */
export async function setUsername(ctx: Context, pubkey: string, name: string): Promise<{ name: string; address: string }> {
  const canonical = checkUsername(name, [...ctx.config.ZAP_RESERVED_USERNAMES, ctx.config.BOT_DM_USERNAME]);
  await claimUsername(ctx.sql, pubkey, canonical);
  return { name: canonical, address: `${canonical}@${addressDomain(ctx.config)}` };
}

export async function pubkeyOfUsername(sql: Sql, name: string): Promise<string | undefined> {
  const [row] = await sql<{ pubkey: string }[]>`select pubkey from usernames where name = ${name.toLowerCase()}`;
  return row?.pubkey;
}

export async function usernameOf(sql: Sql, pubkey: string): Promise<string | undefined> {
  const [row] = await sql<{ name: string }[]>`select name from usernames where pubkey = ${pubkey}`;
  return row?.name;
}

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
