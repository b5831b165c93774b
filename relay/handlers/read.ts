// What REQ, COUNT and NEG-OPEN share: read rate limits, the subscription cap, the NIP-42
// gate on DM kinds, and the bound on the lookups one request may cause.
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { matchesNothing } from '../filter.ts';
import { gatedKinds, isEphemeral } from '../kinds.ts';
import type { Filter } from '../types.ts';

/**
 * The index lookups a filter may cause: query.ts scans once per value of the list that
 * drives the filter (per author × kind when both are given), and the ephemeral window is
 * read once per ephemeral kind × author. `live`: a REQ with limit 0 reads nothing stored.
 */
export function filterCost(f: Filter, live: boolean): number {
  if (matchesNothing(f) || (live && f.limit === 0)) return 0;
  const kinds = f.kinds?.length ?? 1;
  const authors = f.authors?.length ?? 1;
  const window = (f.kinds?.filter(isEphemeral).length ?? 0) * authors;
  // A REQ does not ask the store about filters of ephemeral kinds only (handlers/req.ts).
  const stored = live && f.kinds?.every(isEphemeral) ? 0
    : f.ids ? f.ids.length
      : f.authors ? authors * kinds
        : f.search !== undefined ? 1
          : f.tags?.length ? Math.min(...f.tags.map(([, v]) => new Set(v).size))
            : kinds;
  return stored + window;
}

/** Filters that name a gated kind explicitly. Filters without kinds are filtered per event. */
const namesGatedKind = (f: Filter) => f.kinds?.some((k) => gatedKinds.has(k)) ?? false;

/**
 * The refusal reason for opening a read, or undefined; it comes before any lookup.
 * `opening` counts toward the subscription cap; `live`: a REQ (see filterCost).
 */
export function readRefusal(r: RelayEngine, conn: Connection, filters: Filter[], opening: boolean, live = false): string | undefined {
  if (!r.policy.allowsRead(conn)) return 'rate-limited: too many requests, slow down';
  if (opening && conn.openCount >= r.config.RELAY_MAX_SUBSCRIPTIONS) return `blocked: at most ${r.config.RELAY_MAX_SUBSCRIPTIONS} open subscriptions per connection`;
  if (conn.authed.size === 0 && filters.some(namesGatedKind)) return 'auth-required: direct messages are only served to their author or recipient';
  const cost = filters.reduce((n, f) => n + filterCost(f, live), 0);
  const max = r.config.RELAY_MAX_QUERY_COST;
  if (cost > max) return `blocked: this request needs ${cost} index lookups (authors × kinds, ids, tag values, per filter), at most ${max} are allowed`;
  return undefined;
}

/** COUNT cannot filter per event, so a gated count must be limited to the authenticated keys. */
export function countRefusal(conn: Connection, filters: Filter[]): string | undefined {
  const own = (values: string[] | undefined) => values !== undefined && values.length > 0 && values.every((v) => conn.authed.has(v));
  for (const f of filters) {
    if (!namesGatedKind(f)) continue;
    const p = f.tags?.find(([n]) => n === 'p')?.[1];
    if (!own(f.authors) && !own(p)) return "restricted: can only count your own direct messages (authors or #p of an authenticated pubkey)";
  }
  return undefined;
}

export const limitOf = (r: RelayEngine) => (f: Filter) => Math.min(f.limit ?? r.config.RELAY_MAX_LIMIT, r.config.RELAY_MAX_LIMIT);
