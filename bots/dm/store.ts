// The DM bot's tables (migrations/0007_dm.sql): messages taken, user settings, payments
// waiting for "yes", payments answered "in flight", notices sent.
import type { Sql } from '../../core/db.ts';
import { distinctOrThrow, GroupCommit, groupCommitPer, oneInFlight } from '../../core/group-commit.ts';
import type { DmScheme } from '../../core/nostr/dm.ts';
import type { Lang } from './commands.ts';

export interface DmUser { lang?: Lang; scheme?: DmScheme }

interface Claim { ids: string[]; sender: string; scheme: DmScheme }

/**
 * The claims arriving together share one statement (group commit: its cost is mostly the
 * statement and the commit, not the rows). The inbox takes one message per sender at a time;
 * a batch naming a sender or an id twice all the same runs item by item, so that one takes it.
 */
const claimsOf = groupCommitPer((sql: Sql) => new GroupCommit<Claim, DmUser | undefined>(async (items) => {
  distinctOrThrow(items.map((i) => i.sender));
  distinctOrThrow(items.flatMap((i) => i.ids));
  const rows = await sql<{ fresh: boolean; lang: Lang | null }[]>`
    with items as (
      select * from rows from (jsonb_to_recordset(${sql.json(items as never)}) as (ids text[], sender text, scheme text))
        with ordinality as i (ids, sender, scheme, n)
    ), claimed as (
      insert into dm_messages (id, sender) select x.id, i.sender from items i, unnest(i.ids) as x (id)
        order by x.id -- one order in every process, so two taking the same burst cannot deadlock
      on conflict (id) do nothing returning sender
    ), fresh as (
      select i.*, (select count(*) from claimed c where c.sender = i.sender) = cardinality(i.ids) as yes from items i
    ), known as (
      select pubkey, lang from dm_users where pubkey in (select sender from items)
    ), added as (
      insert into dm_users (pubkey, scheme) select f.sender, f.scheme from fresh f
      where f.yes and not exists (select from known k where k.pubkey = f.sender)
      on conflict (pubkey) do nothing
    ), changed as (
      update dm_users u set scheme = f.scheme, updated_at = now() from fresh f
      where u.pubkey = f.sender and f.yes and u.scheme is distinct from f.scheme
    )
    select f.yes as fresh, k.lang from fresh f left join known k on k.pubkey = f.sender order by f.n`;
  return rows.map((r, i) => (r.fresh ? { lang: r.lang ?? undefined, scheme: items[i]!.scheme } : undefined));
}, oneInFlight));

/**
 * Records every id a DM arrived under and, when none was recorded before (the DM is new and
 * may be acted on), the scheme the sender wrote in: their settings, else undefined. One
 * statement (shared with the claims arriving at the same time), run before any side effect,
 * so a repeat is never acted on. The user's row is written only when it is new or their
 * scheme changes (an upsert would lock it every time); the settings are read as they were
 * before: a new row has no language yet.
 */
export function claimMessage(sql: Sql, ids: string[], sender: string, scheme: DmScheme): Promise<DmUser | undefined> {
  return claimsOf(sql).submit({ ids, sender, scheme });
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

export interface NoticeTarget extends DmUser {
  /** The user the notice is for. */
  pubkey: string;
  /** Whether they ever wrote to the bot (a newcomer is told how to use what they got). */
  known: boolean;
  /** The other side of the payment, when one was named: its pubkey, else its name. */
  from?: { pubkey?: string; name?: string };
}

/**
 * The first time a notice key is claimed for a user's account, that user and their settings
 * (and the payment's other side, looked up in the same statement); undefined when the key was
 * claimed before or the account is not a user's with a pubkey (then nothing is claimed).
 */
export async function claimNotice(sql: Sql, key: string, accountId: string, counterpartyAccountId?: string): Promise<NoticeTarget | undefined> {
  const [row] = await sql<{ pubkey: string; known: boolean; lang: Lang | null; scheme: DmScheme | null; from_pubkey: string | null; from_name: string | null; from_found: boolean }[]>`
    with target as (select pubkey from accounts where id = ${accountId} and kind = 'user' and pubkey is not null),
    claimed as (insert into dm_notices (key) select ${key} from target on conflict do nothing returning key)
    select t.pubkey, u.pubkey is not null as known, u.lang, u.scheme, c.pubkey as from_pubkey, c.name as from_name, c.id is not null as from_found
    from claimed, target t
      left join dm_users u on u.pubkey = t.pubkey
      left join accounts c on c.id = ${counterpartyAccountId ?? null}::uuid`;
  if (!row) return undefined;
  return {
    pubkey: row.pubkey, known: row.known, lang: row.lang ?? undefined, scheme: row.scheme ?? undefined,
    from: row.from_found ? { pubkey: row.from_pubkey ?? undefined, name: row.from_name ?? undefined } : undefined,
  };
}
