// The PostgreSQL event store. Writes are group-committed: events arriving within
// RELAY_BATCH_MS share one transaction, and each caller's promise settles only after that
// transaction commits (so OK true always means durable). Reads turn filters into SQL (query.ts).
import type { Sql, Tx } from '../core/db.ts';
import { GroupCommit } from '../core/group-commit.ts';
import { compareNewestFirst } from './filter.ts';
import { replaceKey, searchableKinds } from './kinds.ts';
import { deletionTargets } from './nips/nip09.ts';
import { expirationOf } from './nips/nip40.ts';
import { eventColumns, Params, selectForFilters } from './query.ts';
import type { Accepted, Filter, NostrEvent } from './types.ts';

/** What became of a write: kept, already there, beaten by a newer replaceable, or refused
 * because its author deleted it (NIP-09) or vanished (NIP-62) earlier. */
export type WriteOutcome = 'stored' | 'duplicate' | 'superseded' | 'deleted' | 'vanished';

export interface Write extends Accepted {
  /** NIP-62: the event is a request to vanish addressed to this relay. */
  vanish?: boolean;
}

export interface StoredRow { created_at: number; id: string; kind: number; raw: string }

/** Longest tag value that is indexed for `#x` lookups (btree rows have a size limit). */
const MAX_INDEXED_TAG_VALUE = 1024;
/** Group commits that may be in flight at once (each holds one pooled connection). */
const MAX_IN_FLIGHT = 3;

const buf = (hex: string) => Buffer.from(hex, 'hex');

interface Columns { id: string[]; pk: string[]; at: number[]; kind: number[]; exp: Array<number | null>; search: Array<string | null>; raw: string[] }
interface TagColumns { id: string[]; name: string[]; value: string[]; kind: number[]; at: number[] }

/** A regular event: its write needs no other row looked at or changed (see #writePlain). */
const isPlain = (w: Write) => !w.vanish && w.event.kind !== 5 && replaceKey(w.event.kind, w.event.tags) === null;

/** Distinct single-letter tags of an event, as parallel name/value lists. */
export function indexedTags(tags: string[][]): { names: string[]; values: string[] } {
  const seen = new Set<string>();
  const names: string[] = [];
  const values: string[] = [];
  for (const t of tags) {
    const name = t[0];
    const value = t[1];
    // PostgreSQL text cannot hold NUL: such values stay in the raw event, unindexed.
    if (name === undefined || value === undefined || name.length !== 1 || value.length > MAX_INDEXED_TAG_VALUE || value.includes('\0')) continue;
    const c = name.charCodeAt(0);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) continue;
    const key = `${name}:${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
    values.push(value);
  }
  return { names, values };
}

/** NIP-50 text of searchable kinds (without NUL, which PostgreSQL text cannot hold). */
export const searchText = (e: NostrEvent) => (searchableKinds.has(e.kind) ? e.content.replaceAll('\0', '') : null);

export class EventStore {
  readonly sql: Sql;
  readonly #commits: GroupCommit<Write, WriteOutcome>;

  constructor(sql: Sql, opts: { batchMs: number; batchMax: number }) {
    this.sql = sql;
    this.#commits = new GroupCommit((writes) => (writes.every(isPlain) ? this.#writePlain(writes) : this.sql.begin((tx) => this.#writeBatch(tx, writes))),
      { batchMax: opts.batchMax, maxInFlight: MAX_IN_FLIGHT, delayMs: opts.batchMs });
  }

  readonly #bytes = (hex: string[]) => this.sql.array(hex.map(buf) as never, 1001);

  /** Queues an event for the next group commit; settles after that commit. */
  write(write: Write): Promise<WriteOutcome> {
    return this.#commits.submit(write);
  }

  /** Waits for every queued write to commit. */
  drain(): Promise<void> {
    return this.#commits.drain();
  }

  async #writeBatch(tx: Tx, writes: Write[]): Promise<WriteOutcome[]> {
    const outcomes: Array<WriteOutcome | undefined> = new Array(writes.length);
    const first = new Map<string, number>();
    writes.forEach((w, i) => {
      if (first.has(w.event.id)) outcomes[i] = 'duplicate';
      else first.set(w.event.id, i);
    });
    await this.#markRefused(tx, writes, outcomes);

    const regular: number[] = [];
    const replaceable: number[] = [];
    const vanish: number[] = [];
    writes.forEach((w, i) => {
      if (outcomes[i]) return;
      if (w.vanish) vanish.push(i);
      else if (replaceKey(w.event.kind, w.event.tags) === null) regular.push(i);
      else replaceable.push(i);
    });

    if (regular.length) {
      const inserted = await this.#insertRegular(tx, regular.map((i) => writes[i]!));
      for (const i of regular) outcomes[i] = inserted.has(writes[i]!.event.id) ? 'stored' : 'duplicate';
    }
    // Sorted by key so that two batches never wait on each other's advisory locks in a cycle.
    const keyOf = (i: number) => { const e = writes[i]!.event; return `${e.pubkey}:${e.kind}:${replaceKey(e.kind, e.tags)}`; };
    replaceable.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const results = await Promise.all(replaceable.map((i) => this.#putReplaceable(tx, writes[i]!)));
    replaceable.forEach((i, n) => { outcomes[i] = results[n]!; });

    const deletions = writes.filter((w, i) => w.event.kind === 5 && outcomes[i] === 'stored');
    if (deletions.length) await this.#applyDeletions(tx, deletions);
    for (const i of vanish) {
      await this.#vanish(tx, writes[i]!);
      outcomes[i] = 'stored';
    }
    return outcomes as WriteOutcome[];
  }

  /** Marks writes refused by earlier deletion requests (NIP-09) or requests to vanish (NIP-62). */
  async #markRefused(tx: Tx, writes: Write[], outcomes: Array<WriteOutcome | undefined>): Promise<void> {
    const open = writes.filter((_, i) => !outcomes[i]);
    if (!open.length) return;
    const addrs = open.filter((w) => replaceKey(w.event.kind, w.event.tags) !== null)
      .map((w) => `${w.event.kind}:${w.event.pubkey}:${replaceKey(w.event.kind, w.event.tags)}`);
    const rows = await tx<{ t: string; a: string; n: number; b: string | null }[]>`
      select 'v' as t, encode(pubkey, 'hex') as a, until::float8 as n, null as b from relay_vanished
        where pubkey = any(${this.#bytes([...new Set(open.map((w) => w.event.pubkey))])})
      union all
      select t.name, t.value, d.created_at::float8, encode(d.pubkey, 'hex') from relay_tags t join relay_events d on d.id = t.event_id
        where t.kind = 5 and ((t.name = 'e' and t.value = any(${open.map((w) => w.event.id)}::text[]))
          or (t.name = 'a' and t.value = any(${addrs}::text[])))`;
    if (!rows.length) return;
    const vanishedUntil = new Map<string, number>();
    const deletedBy = new Map<string, Array<{ by: string; at: number }>>();
    for (const r of rows) {
      if (r.t === 'v') vanishedUntil.set(r.a, r.n);
      else (deletedBy.get(r.a) ?? deletedBy.set(r.a, []).get(r.a)!).push({ by: r.b!, at: r.n });
    }
    writes.forEach((w, i) => {
      if (outcomes[i]) return;
      const e = w.event;
      const until = vanishedUntil.get(e.pubkey);
      if (until !== undefined && e.created_at <= until) { outcomes[i] = 'vanished'; return; }
      if (e.kind === 5) return; // deleting a deletion is a no-op
      const byId = deletedBy.get(e.id)?.some((d) => d.by === e.pubkey);
      const d = replaceKey(e.kind, e.tags);
      const byAddr = d !== null && deletedBy.get(`${e.kind}:${e.pubkey}:${d}`)?.some((x) => x.by === e.pubkey && x.at >= e.created_at);
      if (byId || byAddr) outcomes[i] = 'deleted';
    });
  }

  async #insertRegular(tx: Tx, writes: Write[]): Promise<Set<string>> {
    const { cols, tags } = this.#columns(writes);
    const rows = await tx<{ id: string }[]>`
      with x as (${this.#rows(cols)}),
      ins as (${this.#insertEvents()} from x on conflict (id) do nothing returning id),
      tags as (${this.#insertTags(tags)})
      select encode(id, 'hex') as id from ins`;
    return new Set(rows.map((r) => r.id));
  }

  /**
   * A batch of regular events only (no deletions, replaceables or requests to vanish: DMs,
   * notes, gift wraps, the usual case) in one statement instead of a transaction of four: the
   * checks #markRefused makes for such events, then the insert of the others.
   */
  async #writePlain(writes: Write[]): Promise<WriteOutcome[]> {
    const first = new Map<string, number>();
    writes.forEach((w, i) => { if (!first.has(w.event.id)) first.set(w.event.id, i); });
    const { cols, tags } = this.#columns([...first.values()].map((i) => writes[i]!));
    const rows = await this.sql<{ id: string; r: WriteOutcome }[]>`
      with x as (${this.#rows(cols)}),
      refused as (
        select x.id, case when v.pubkey is null then 'deleted' else 'vanished' end as r
        from x left join relay_vanished v on v.pubkey = x.pk and x.at <= v.until
        where v.pubkey is not null or exists (
          select from relay_tags t join relay_events d on d.id = t.event_id
          where t.kind = 5 and t.name = 'e' and t.value = encode(x.id, 'hex') and d.pubkey = x.pk)
      ),
      ins as (${this.#insertEvents()} from x where x.id not in (select id from refused) on conflict (id) do nothing returning id),
      tags as (${this.#insertTags(tags)})
      select encode(id, 'hex') as id, 'stored' as r from ins union all select encode(id, 'hex'), r from refused`;
    const outcomes = new Map(rows.map((r) => [r.id, r.r]));
    return writes.map((w, i) => (first.get(w.event.id) === i ? outcomes.get(w.event.id) ?? 'duplicate' : 'duplicate'));
  }

  /** The events as column arrays, and their indexed tags likewise. */
  #columns(writes: Write[]): { cols: Columns; tags: TagColumns } {
    const cols: Columns = { id: [], pk: [], at: [], kind: [], exp: [], search: [], raw: [] };
    const tags: TagColumns = { id: [], name: [], value: [], kind: [], at: [] };
    for (const { event: e, raw } of writes) {
      cols.id.push(e.id); cols.pk.push(e.pubkey); cols.at.push(e.created_at); cols.kind.push(e.kind);
      cols.exp.push(expirationOf(e) ?? null); cols.search.push(searchText(e)); cols.raw.push(raw);
      const t = indexedTags(e.tags);
      for (let j = 0; j < t.names.length; j++) {
        tags.id.push(e.id); tags.name.push(t.names[j]!); tags.value.push(t.values[j]!); tags.kind.push(e.kind); tags.at.push(e.created_at);
      }
    }
    return { cols, tags };
  }

  /** The events as a relation x(id, pk, at, kind, exp, search, raw). */
  #rows(c: Columns) {
    return this.sql`select * from unnest(${this.#bytes(c.id)}, ${this.#bytes(c.pk)}, ${c.at}::int8[], ${c.kind}::int4[],
      ${c.exp}::int8[], ${c.search}::text[], ${c.raw}::text[]) x(id, pk, at, kind, exp, search, raw)`;
  }

  /** `insert … select` of x's events (the caller adds from and where). */
  #insertEvents() {
    return this.sql`insert into relay_events (id, pubkey, created_at, kind, expires_at, search, raw)
      select x.id, x.pk, x.at, x.kind, x.exp, to_tsvector('simple', x.search), x.raw`;
  }

  /** Inserts the tags of the events the statement's `ins` inserted. */
  #insertTags(t: TagColumns) {
    return this.sql`insert into relay_tags (event_id, name, value, kind, created_at)
      select t.id, t.name, t.value, t.kind, t.at
      from unnest(${this.#bytes(t.id)}, ${t.name}::text[], ${t.value}::text[], ${t.kind}::int4[], ${t.at}::int8[]) t(id, name, value, kind, at)
      where t.id in (select id from ins)`;
  }

  async #putReplaceable(tx: Tx, { event: e, raw }: Write): Promise<WriteOutcome> {
    const t = indexedTags(e.tags);
    const [row] = await tx<{ r: WriteOutcome }[]>`
      select relay_put_replaceable(${buf(e.id)}, ${buf(e.pubkey)}, ${e.created_at}, ${e.kind}, ${replaceKey(e.kind, e.tags)},
        ${expirationOf(e) ?? null}, ${searchText(e)}, ${raw}, ${t.names}::text[], ${t.values}::text[]) as r`;
    return row!.r;
  }

  /** NIP-09: deletes what each request names by `e` (ids) and `a` (coordinates), only the author's own. */
  async #applyDeletions(tx: Tx, deletions: Write[]): Promise<void> {
    const ids: string[] = [];
    const idAuthors: string[] = [];
    const addr = { kind: [] as number[], pk: [] as string[], d: [] as string[], until: [] as number[] };
    for (const { event: e } of deletions) {
      const targets = deletionTargets(e);
      for (const id of targets.ids) { ids.push(id); idAuthors.push(e.pubkey); }
      for (const a of targets.addresses) { addr.kind.push(a.kind); addr.pk.push(e.pubkey); addr.d.push(a.d); addr.until.push(e.created_at); }
    }
    if (ids.length) {
      await tx`with d as (
          delete from relay_events e using unnest(${this.#bytes(ids)}, ${this.#bytes(idAuthors)}) x(id, author)
          where e.id = x.id and e.pubkey = x.author and e.kind <> 5 returning e.id)
        delete from relay_tags where event_id in (select id from d)`;
    }
    if (addr.kind.length) {
      await tx`with d as (
          delete from relay_events e using unnest(${addr.kind}::int4[], ${this.#bytes(addr.pk)}, ${addr.d}::text[], ${addr.until}::int8[]) x(kind, pk, d, until)
          where e.kind = x.kind and e.pubkey = x.pk and e.d = x.d and e.created_at <= x.until returning e.id)
        delete from relay_tags where event_id in (select id from d)`;
    }
  }

  /** NIP-62: forgets everything the author published up to the request, and gift wraps to them. */
  async #vanish(tx: Tx, { event: e }: Write): Promise<void> {
    const pk = buf(e.pubkey);
    await tx`insert into relay_vanished (pubkey, until) values (${pk}, ${e.created_at})
      on conflict (pubkey) do update set until = greatest(relay_vanished.until, excluded.until), requested_at = now()`;
    await tx`with d as (
        delete from relay_events where (pubkey = ${pk} and created_at <= ${e.created_at})
          or id in (select event_id from relay_tags where name = 'p' and value = ${e.pubkey} and kind = 1059 and created_at <= ${e.created_at})
        returning id)
      delete from relay_tags where event_id in (select id from d)`;
  }

  /** Stored events matching any filter, deduplicated, newest first (search: by relevance). */
  async query(filters: Filter[], limitOf: (f: Filter) => number, now: number): Promise<StoredRow[]> {
    const p = new Params(this.#bytes);
    const text = selectForFilters(filters, p, { columns: eventColumns, now }, limitOf);
    const rows = await this.sql.unsafe<StoredRow[]>(text, p.values as never[], { prepare: true });
    const seen = new Set<string>();
    const out = rows.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
    return filters.some((f) => f.search !== undefined) ? out : out.sort(compareNewestFirst);
  }

  /** How many events match; `readers`: see SelectOptions (gated kinds count only for them). */
  async count(filters: Filter[], now: number, readers: string[]): Promise<number> {
    const p = new Params(this.#bytes);
    const inner = selectForFilters(filters, p, { columns: 'e.id as id', now, readers }, () => undefined);
    const [row] = await this.sql.unsafe<{ n: number }[]>(`select count(distinct u.id)::float8 as n from (${inner}) u`, p.values as never[], { prepare: true });
    return row!.n;
  }

  /** Distinct authors of the events matching `filter`, with how many each (NIP-45 HyperLogLog). */
  async authorsOf(filter: Filter, now: number, readers: string[]): Promise<Array<{ pubkey: string; n: number }>> {
    const p = new Params(this.#bytes);
    const inner = selectForFilters([filter], p, { columns: 'e.id as id, e.pubkey as pubkey', now, readers }, () => undefined);
    return this.sql.unsafe(`select encode(u.pubkey, 'hex') as pubkey, count(*)::float8 as n from (${inner}) u group by u.pubkey`, p.values as never[], { prepare: true });
  }

  /** (created_at, id) of up to `max` matching events, for NIP-77 reconciliation. */
  async idsOf(filter: Filter, now: number, max: number, readers: string[]): Promise<Array<{ created_at: number; id: string }>> {
    const p = new Params(this.#bytes);
    const inner = selectForFilters([filter], p, { columns: "e.created_at::float8 as created_at, encode(e.id, 'hex') as id", now, readers }, () => undefined);
    return this.sql.unsafe(`select * from (${inner}) u limit ${p.add(max, 'int4')}`, p.values as never[], { prepare: true });
  }

  /** Deletes events by id (NIP-86 banevent); returns how many. */
  async deleteIds(ids: string[]): Promise<number> {
    const rows = await this.sql`with d as (delete from relay_events where id = any(${this.#bytes(ids)}) returning id)
      delete from relay_tags where event_id in (select id from d) returning 1`;
    return rows.length;
  }

  /** NIP-40: removes expired events in slices; returns how many. */
  async purgeExpired(now: number, slice = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const [row] = await this.sql<{ n: number }[]>`
        with d as (delete from relay_events where id in (
            select id from relay_events where expires_at is not null and expires_at <= ${now} limit ${slice})
          returning id),
        t as (delete from relay_tags where event_id in (select id from d))
        select count(*)::int4 as n from d`;
      total += row!.n;
      if (row!.n < slice) return total;
    }
  }
}

