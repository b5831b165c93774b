// NIP-01 filters → SQL. Each filter picks the index that drives it (ids, authors × kinds,
// the tag with the fewest values, kinds, search, or time), so that a `limit` stops the scan
// early: lists are unnested and each value gets its own ordered index scan (LATERAL), then
// merged. EXPLAIN output of these shapes is in docs/architecture.md.
import { gatedKinds } from './kinds.ts';
import { searchTerms } from './nips/nip50.ts';
import type { Filter } from './types.ts';

/** Collects positional parameters; `bytes` marks hex lists that travel as bytea[]. */
export class Params {
  readonly values: unknown[] = [];
  readonly #bytes: (hex: string[]) => unknown;
  constructor(bytes: (hex: string[]) => unknown) {
    this.#bytes = bytes;
  }
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
  hexes(hex: string[]): string {
    return this.add(this.#bytes(hex), 'bytea[]');
  }
}

export interface SelectOptions {
  /** Select list over alias `e`; every column must be named (`… as name`). */
  columns: string;
  /** Rows per filter; undefined: all (COUNT, negentropy). */
  limit?: number;
  now: number;
  /**
   * Set where results are not checked per event (COUNT, negentropy): rows of gated kinds
   * (kinds.ts) count only when one of these authenticated pubkeys wrote them or is p-tagged.
   */
  readers?: string[];
}

/** NIP-50: how many of the newest matches are ranked by relevance. */
const SEARCH_CANDIDATES = 1000;

export const eventColumns = "e.created_at::float8 as created_at, encode(e.id, 'hex') as id, e.kind as kind, e.raw as raw";


type Driver = 'ids' | 'authors' | 'tag' | 'search' | 'kinds' | 'time';

function driverOf(f: Filter): Driver {
  if (f.ids) return 'ids';
  if (f.authors) return 'authors';
  if (f.search !== undefined) return 'search';
  if (f.tags?.length) return 'tag';
  if (f.kinds) return 'kinds';
  return 'time';
}

/** The tag list with the fewest values drives a tag query. */
const drivingTag = (f: Filter) => f.tags!.reduce((best, t) => (t[1].length < best[1].length ? t : best));

/** Conditions on `e` for every field except those the driver already enforces. */
function conditions(f: Filter, p: Params, o: SelectOptions, skip: { ids?: boolean; authors?: boolean; kinds?: boolean; tag?: [string, string[]] }): string[] {
  const c: string[] = [`(e.expires_at is null or e.expires_at > ${p.add(o.now, 'int8')})`];
  if (f.ids && !skip.ids) c.push(`e.id = any(${p.hexes(f.ids)})`);
  if (f.authors && !skip.authors) c.push(`e.pubkey = any(${p.hexes(f.authors)})`);
  if (f.kinds && !skip.kinds) c.push(`e.kind = any(${p.add(f.kinds, 'int4[]')})`);
  if (f.since !== undefined) c.push(`e.created_at >= ${p.add(f.since, 'int8')}`);
  if (f.until !== undefined) c.push(`e.created_at <= ${p.add(f.until, 'int8')}`);
  for (const tag of f.tags ?? []) {
    if (tag === skip.tag) continue;
    c.push(`exists (select 1 from relay_tags t2 where t2.event_id = e.id and t2.name = ${p.add(tag[0], 'text')} and t2.value = any(${p.add(tag[1], 'text[]')}))`);
  }
  if (o.readers) {
    const gated = `e.kind <> all(${p.add([...gatedKinds], 'int4[]')})`;
    c.push(o.readers.length === 0 ? gated
      : `(${gated} or e.pubkey = any(${p.hexes(o.readers)}) or exists (select 1 from relay_tags tp where tp.event_id = e.id and tp.name = 'p' and tp.value = any(${p.add(o.readers, 'text[]')})))`);
  }
  if (f.search !== undefined) {
    c.push(`e.search is not null and e.search @@ websearch_to_tsquery('simple', ${p.add(searchTerms(f.search), 'text')})`);
  }
  return c;
}

const limitClause = (p: Params, limit: number | undefined) => (limit === undefined ? '' : ` limit ${p.add(limit, 'int4')}`);
const outerOrder = (limit: number | undefined) => (limit === undefined ? '' : ' order by x.created_at desc, x.id');

/** One filter as a SELECT returning `o.columns`, newest first (search: most relevant first). */
export function selectForFilter(f: Filter, p: Params, o: SelectOptions): string {
  const driver = driverOf(f);
  const ordered = o.limit !== undefined;
  switch (driver) {
    case 'ids': case 'time': {
      const where = conditions(f, p, o, {}).join(' and ');
      return `select ${o.columns} from relay_events e where ${where}${ordered ? ' order by e.created_at desc, e.id' : ''}${limitClause(p, o.limit)}`;
    }
    case 'authors': {
      const kinds = f.kinds ? ` cross join unnest(${p.add(f.kinds, 'int4[]')}) k(kind)` : '';
      const where = [`e.pubkey = a.pk`, ...(f.kinds ? ['e.kind = k.kind'] : []), ...conditions(f, p, o, { authors: true, kinds: true })].join(' and ');
      const inner = `select ${o.columns} from relay_events e where ${where}${ordered ? ' order by e.created_at desc, e.id' : ''}${limitClause(p, o.limit)}`;
      return `select x.* from unnest(${p.hexes(f.authors!)}) a(pk)${kinds}, lateral (${inner}) x${outerOrder(o.limit)}${limitClause(p, o.limit)}`;
    }
    case 'tag': {
      const tag = drivingTag(f);
      const where = [`t.name = ${p.add(tag[0], 'text')}`, 't.value = v.val',
        ...(f.kinds ? [`t.kind = any(${p.add(f.kinds, 'int4[]')})`] : []),
        ...(f.since !== undefined ? [`t.created_at >= ${p.add(f.since, 'int8')}`] : []),
        ...(f.until !== undefined ? [`t.created_at <= ${p.add(f.until, 'int8')}`] : []),
        ...conditions(f, p, o, { kinds: true, tag })].join(' and ');
      const inner = `select ${o.columns} from relay_tags t join relay_events e on e.id = t.event_id where ${where}${ordered ? ' order by t.created_at desc, t.event_id' : ''}${limitClause(p, o.limit)}`;
      return `select x.* from unnest(${p.add([...new Set(tag[1])], 'text[]')}) v(val), lateral (${inner}) x${outerOrder(o.limit)}${limitClause(p, o.limit)}`;
    }
    case 'kinds': {
      const where = ['e.kind = k.kind', ...conditions(f, p, o, { kinds: true })].join(' and ');
      const inner = `select ${o.columns} from relay_events e where ${where}${ordered ? ' order by e.created_at desc, e.id' : ''}${limitClause(p, o.limit)}`;
      return `select x.* from unnest(${p.add(f.kinds, 'int4[]')}) k(kind), lateral (${inner}) x${outerOrder(o.limit)}${limitClause(p, o.limit)}`;
    }
    case 'search': {
      const where = conditions(f, p, o, {}).join(' and ');
      if (!ordered) return `select ${o.columns} from relay_events e where ${where}`;
      // Ranks the newest SEARCH_CANDIDATES matches: ranking every match of a common word
      // would cost a pass over all of them. `+ 0` keeps the planner on the full-text index
      // (walking the created_at index hoping for early matches is a full scan when there are
      // none). The inner `e` shadows the outer one.
      const q = p.add(searchTerms(f.search!), 'text');
      const candidates = `select e.id from relay_events e where ${where} order by e.created_at + 0 desc limit ${SEARCH_CANDIDATES}`;
      return `select ${o.columns} from relay_events e where e.id in (${candidates}) order by ts_rank(e.search, websearch_to_tsquery('simple', ${q})) desc, e.created_at desc${limitClause(p, o.limit)}`;
    }
  }
}

/** Several filters OR'ed: each keeps its own limit; the caller dedupes and orders. */
export function selectForFilters(filters: Filter[], p: Params, o: SelectOptions, limitOf: (f: Filter) => number | undefined): string {
  return filters.map((f) => `(${selectForFilter(f, p, { ...o, limit: limitOf(f) })})`).join(' union all ');
}
