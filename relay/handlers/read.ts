// What REQ, COUNT and NEG-OPEN share: read rate limits, the subscription cap, and the
// NIP-42 gate on DM kinds.
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { gatedKinds } from '../kinds.ts';
import type { Filter } from '../types.ts';

/** Filters that name a gated kind explicitly. Filters without kinds are filtered per event. */
const namesGatedKind = (f: Filter) => f.kinds?.some((k) => gatedKinds.has(k)) ?? false;

/** The refusal reason for opening a read, or undefined. `opening` counts toward the cap. */
export function readRefusal(r: RelayEngine, conn: Connection, filters: Filter[], opening: boolean): string | undefined {
  if (!r.policy.allowsRead(conn.ip)) return 'rate-limited: too many requests, slow down';
  if (opening && conn.openCount >= r.config.RELAY_MAX_SUBSCRIPTIONS) return `blocked: at most ${r.config.RELAY_MAX_SUBSCRIPTIONS} open subscriptions per connection`;
  if (conn.authed.size === 0 && filters.some(namesGatedKind)) return 'auth-required: direct messages are only served to their author or recipient';
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
