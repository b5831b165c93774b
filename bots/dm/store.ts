// The DM bot's tables (migrations/0007_dm.sql): messages taken, user settings, payments
// waiting for "yes", payments answered "in flight", notices sent.
import type { Sql } from '../../core/db.ts';
import type { DmScheme } from '../../core/nostr/dm.ts';
import type { Lang } from './commands.ts';

export interface DmUser { lang?: Lang; scheme?: DmScheme }

/**
 * Records every id a DM arrived under and, when none was recorded before (the DM is new and
 * may be acted on), the scheme the sender wrote in: their settings, else undefined. One
 * statement, run before any side effect, so a repeat is never acted on. The user's row is
 * written only when their scheme changes (the settings are read as they were before: a
 * new row has no language yet).
 */
export async function claimMessage(sql: Sql, ids: string[], sender: string, scheme: DmScheme): Promise<DmUser | undefined> {
  const [row] = await sql<{ claimed: number; lang: Lang | null }[]>`
    with claimed as (
      insert into dm_messages (id, sender) select unnest(${sql.array(ids)}::text[]), ${sender}
      on conflict (id) do nothing returning id
    ), touched as (
      insert into dm_users (pubkey, scheme) select ${sender}, ${scheme} where (select count(*) from claimed) = ${ids.length}
      on conflict (pubkey) do update set scheme = excluded.scheme, updated_at = now()
        where dm_users.scheme is distinct from excluded.scheme
    )
    select (select count(*) from claimed)::int4 as claimed, (select lang from dm_users where pubkey = ${sender}) as lang`;
  return row!.claimed === ids.length ? { lang: row!.lang ?? undefined, scheme } : undefined;
}

/** The ids among `ids` that DMs arrived under before: re-deliveries, skipped before any decryption. */
export async function seenMessages(sql: Sql, ids: string[]): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`select id from dm_messages where id = any(${sql.array(ids)}::text[])`;
  return new Set(rows.map((r) => r.id));
}

export async function getUser(sql: Sql, pubkey: string): Promise<DmUser> {
  const [row] = await sql<{ lang: Lang | null; scheme: DmScheme | null }[]>`select lang, scheme from dm_users where pubkey = ${pubkey}`;
  return { lang: row?.lang ?? undefined, scheme: row?.scheme ?? undefined };
}

export async function setLang(sql: Sql, pubkey: string, lang: Lang): Promise<void> {
  await sql`insert into dm_users (pubkey, lang) values (${pubkey}, ${lang})
    on conflict (pubkey) do update set lang = excluded.lang, updated_at = now()`;
}

/** Stores the payment waiting for the user's "yes", replacing any earlier one. */
export async function holdForConfirmation(sql: Sql, c: { pubkey: string; dmId: string; payment: unknown; ttlSeconds: number }): Promise<void> {
  await sql`
    insert into dm_confirmations (pubkey, dm_id, payment, expires_at)
    values (${c.pubkey}, ${c.dmId}, ${sql.json(c.payment as never)}, now() + make_interval(secs => ${c.ttlSeconds}))
    on conflict (pubkey) do update set dm_id = excluded.dm_id, payment = excluded.payment, expires_at = excluded.expires_at`;
}

export type Confirmation = { state: 'none' } | { state: 'expired' } | { state: 'live'; dmId: string; payment: unknown };

/** Takes the user's waiting payment (at most one taker, even for two "yes" at once). */
export async function takeConfirmation(sql: Sql, pubkey: string): Promise<Confirmation> {
  const [row] = await sql<{ dm_id: string; payment: unknown; live: boolean }[]>`
    delete from dm_confirmations where pubkey = ${pubkey} returning dm_id, payment, expires_at > now() as live`;
  if (!row) return { state: 'none' };
  return row.live ? { state: 'live', dmId: row.dm_id, payment: row.payment } : { state: 'expired' };
}

export interface Awaiting { transactionId: string; pubkey: string; dmId: string; scheme: DmScheme }

export async function awaitOutcome(sql: Sql, a: Awaiting): Promise<void> {
  await sql`insert into dm_awaiting (transaction_id, pubkey, dm_id, scheme)
    values (${a.transactionId}, ${a.pubkey}, ${a.dmId}, ${a.scheme}) on conflict do nothing`;
}

/** Claims the duty to tell a payment's outcome; undefined when nobody waits or someone else took it. */
export async function claimOutcome(sql: Sql, transactionId: string): Promise<Awaiting | undefined> {
  const [row] = await sql<{ pubkey: string; dm_id: string; scheme: DmScheme }[]>`
    delete from dm_awaiting where transaction_id = ${transactionId} returning pubkey, dm_id, scheme`;
  return row && { transactionId, pubkey: row.pubkey, dmId: row.dm_id, scheme: row.scheme };
}

/** The first time a notice key is claimed, the settings of the user it is for; else undefined. */
export async function claimNotice(sql: Sql, key: string, pubkey: string): Promise<DmUser | undefined> {
  const [row] = await sql<{ claimed: boolean; lang: Lang | null; scheme: DmScheme | null }[]>`
    with claimed as (insert into dm_notices (key) values (${key}) on conflict do nothing returning key)
    select exists (select 1 from claimed) as claimed, u.lang, u.scheme
    from (select 1) one left join dm_users u on u.pubkey = ${pubkey}`;
  return row!.claimed ? { lang: row!.lang ?? undefined, scheme: row!.scheme ?? undefined } : undefined;
}
