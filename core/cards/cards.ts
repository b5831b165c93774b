// Flash Cards: issuing (keys K0–K4, random, sealed with the master key), the one-time
// programming link the Boltcard NFC Programmer app reads, limits, on/off and wipe. Tapping and
// paying are in withdraw.ts.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { Db } from '../ledger/ledger.ts';
import type { SealedColumn } from '../secrets.ts';
import { CardError } from './errors.ts';

export interface CardKeys { k0: string; k1: string; k2: string; k3: string; k4: string }

export interface CardRow {
  id: string; account_id: string; name: string; keys_sealed: string; uid: string | null; counter: number; enabled: boolean;
  tap_limit_msat: bigint; day_limit_msat: bigint; program_code_hash: string | null; program_expires_at: Date | null;
  programmed_at: Date | null; wiped_at: Date | null; created_at: Date;
}

/** A card as its holder sees it. */
export interface Card {
  id: string; accountId: string; name: string; enabled: boolean; wiped: boolean; programmed: boolean; uid?: string;
  tapLimitMsat: bigint; dayLimitMsat: bigint; spentTodayMsat: bigint; createdAt: Date;
}

const sealPurpose = (id: string) => `card:${id}`;

/** For `flash secrets rotate`. */
export const cardKeysColumn: SealedColumn = { table: 'cards', column: 'keys_sealed', by: 'id', context: sealPurpose };

export function openKeys(ctx: Context, card: Pick<CardRow, 'id' | 'keys_sealed'>): CardKeys {
  return JSON.parse(Buffer.from(ctx.keyring.open(card.keys_sealed, sealPurpose(card.id))).toString('utf8')) as CardKeys;
}

/** Where the Boltcard NFC Programmer app fetches a card's keys, once. */
export const programUrl = (ctx: Context, code: string) => `${ctx.config.publicUrl}/cards/program/${code}`;
/** The base of the NDEF URL the card is programmed with (LUD-17 `lnurlw://`); the card adds `?p=…&c=…`. */
export const lnurlwBase = (ctx: Context, cardId: string) => `${ctx.config.publicUrl.replace(/^https?:\/\//, 'lnurlw://')}/cards/tap/${cardId}`;

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

/** What each card spent today (UTC), by card_spent_today (migrations/0028_cards.sql). */
export async function spentToday(db: Db, cardIds: string[]): Promise<Map<string, bigint>> {
  const rows = await db<{ id: string; spent: bigint }[]>`select id, card_spent_today(id) as spent from unnest(${cardIds}::uuid[]) as c (id)`;
  return new Map(rows.map((r) => [r.id, r.spent]));
}

async function toCards(db: Db, rows: CardRow[]): Promise<Card[]> {
  const spent = rows.length ? await spentToday(db, rows.map((r) => r.id)) : new Map<string, bigint>();
  return rows.map((r) => ({
    id: r.id, accountId: r.account_id, name: r.name, enabled: r.enabled, wiped: r.wiped_at !== null, programmed: r.programmed_at !== null,
    uid: r.uid ?? undefined, tapLimitMsat: r.tap_limit_msat, dayLimitMsat: r.day_limit_msat, spentTodayMsat: spent.get(r.id) ?? 0n, createdAt: r.created_at,
  }));
}

const createRequest = z.object({
  accountId: z.uuid(),
  name: z.string().trim().min(1).max(100).optional(),
  tapLimitMsat: z.bigint().min(1n).optional(),
  dayLimitMsat: z.bigint().min(1n).optional(),
});

/** Issues a card: random keys, sealed; returns it and its one-time programming link. */
export async function createCard(ctx: Context, req: z.input<typeof createRequest>): Promise<{ card: Card; programUrl: string }> {
  const r = createRequest.safeParse(req);
  if (!r.success) throw new CardError('invalid_request', r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const id = randomUUID();
  const key = () => randomBytes(16).toString('hex');
  const keys: CardKeys = { k0: key(), k1: key(), k2: key(), k3: key(), k4: key() };
  const code = randomBytes(16).toString('base64url');
  const [count] = await ctx.sql<{ n: bigint }[]>`select count(*) as n from cards where account_id = ${r.data.accountId}`;
  const [row] = await ctx.sql<CardRow[]>`
    insert into cards (id, account_id, name, keys_sealed, tap_limit_msat, day_limit_msat, program_code_hash, program_expires_at)
    values (${id}, ${r.data.accountId}, ${r.data.name ?? `card ${Number(count!.n) + 1}`}, ${ctx.keyring.seal(Buffer.from(JSON.stringify(keys)), sealPurpose(id))},
      ${r.data.tapLimitMsat ?? ctx.config.CARD_TAP_LIMIT_MSAT}, ${r.data.dayLimitMsat ?? ctx.config.CARD_DAY_LIMIT_MSAT}, ${hashCode(code)},
      now() + make_interval(secs => ${ctx.config.CARD_PROGRAM_SECONDS}))
    returning *`;
  return { card: (await toCards(ctx.sql, [row!]))[0]!, programUrl: programUrl(ctx, code) };
}

/**
 * GET of the programming link: what the Boltcard NFC Programmer app reads to write a card.
 * Once only: the code is cleared as it is read, so a leaked link cannot give the keys again.
 */
export async function programmingJson(ctx: Context, code: string): Promise<Record<string, string | number>> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(code)) throw new CardError('program_link', 'malformed programming link');
  const [card] = await ctx.sql<CardRow[]>`
    update cards set program_code_hash = null, programmed_at = now()
    where program_code_hash = ${hashCode(code)} and program_expires_at > now() and wiped_at is null
    returning *`;
  if (!card) throw new CardError('program_link', 'this programming link was used already, has expired, or its card was wiped');
  const keys = openKeys(ctx, card);
  return {
    protocol_name: 'create_bolt_card_response', protocol_version: 2, card_name: card.name, lnurlw_base: lnurlwBase(ctx, card.id),
    ...keys, uid_privacy: 'N',
  };
}

export async function listCards(db: Db, accountId: string): Promise<Card[]> {
  return toCards(db, await db<CardRow[]>`select * from cards where account_id = ${accountId} and wiped_at is null order by created_at desc, id`);
}

/** A card of the account: by id, or its newest one not wiped when no id is given. */
async function findCard(db: Db, accountId: string, cardId?: string): Promise<CardRow> {
  if (cardId !== undefined && !z.uuid().safeParse(cardId).success) throw new CardError('no_card', `no card ${cardId}`);
  const [row] = cardId
    ? await db<CardRow[]>`select * from cards where id = ${cardId} and account_id = ${accountId} and wiped_at is null`
    : await db<CardRow[]>`select * from cards where account_id = ${accountId} and wiped_at is null order by created_at desc, id desc limit 1`;
  if (!row) throw new CardError('no_card', cardId ? `no card ${cardId}` : 'no card yet');
  return row;
}

export async function setEnabled(db: Db, accountId: string, enabled: boolean, cardId?: string): Promise<Card> {
  const card = await findCard(db, accountId, cardId);
  const [row] = await db<CardRow[]>`update cards set enabled = ${enabled} where id = ${card.id} returning *`;
  return (await toCards(db, [row!]))[0]!;
}

export async function setLimit(db: Db, accountId: string, which: 'tap' | 'day', msat: bigint, cardId?: string): Promise<Card> {
  if (msat < 1n || msat > 9_000_000_000_000_000n) throw new CardError('invalid_request', 'a limit must be at least 1 msat');
  const card = await findCard(db, accountId, cardId);
  const [row] = which === 'tap'
    ? await db<CardRow[]>`update cards set tap_limit_msat = ${msat} where id = ${card.id} returning *`
    : await db<CardRow[]>`update cards set day_limit_msat = ${msat} where id = ${card.id} returning *`;
  return (await toCards(db, [row!]))[0]!;
}

/**
 * Wipes a card: it pays no more (disabled, unknown to taps) and the keys come back as the
 * Boltcard NFC Programmer app's reset data (scan it, tap the card: the card is blank again).
 */
export async function wipeCard(ctx: Context, accountId: string, cardId?: string): Promise<Record<string, string | number>> {
  const card = await findCard(ctx.sql, accountId, cardId);
  await ctx.sql`update cards set enabled = false, wiped_at = now(), program_code_hash = null where id = ${card.id}`;
  return { status: 'OK', action: 'wipe', id: card.id, ...openKeys(ctx, card), uid: card.uid ?? '', version: 1 };
}

/** The holder (account and key) of a card not wiped: rewards paid to a card id credit this account. */
export async function cardHolder(db: Db, cardId: string): Promise<{ accountId: string; pubkey: string } | undefined> {
  if (!z.uuid().safeParse(cardId).success) return undefined;
  const [row] = await db<{ account_id: string; pubkey: string }[]>`
    select c.account_id, a.pubkey from cards c join accounts a on a.id = c.account_id where c.id = ${cardId} and c.wiped_at is null`;
  return row && { accountId: row.account_id, pubkey: row.pubkey };
}

/** A card by id with today's spending (any state), for notices. */
export async function getCard(db: Db, cardId: string): Promise<Card | undefined> {
  const rows = await db<CardRow[]>`select * from cards where id = ${cardId}`;
  return rows.length ? (await toCards(db, rows))[0] : undefined;
}
