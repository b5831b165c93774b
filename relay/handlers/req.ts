// REQ: registers the subscription in the live index first, then sends stored events (and
// recent ephemeral ones from the Redis window), EOSE, and whatever arrived live meanwhile,
// each event once. A REQ with an open subscription's id replaces it.
import { nowSeconds } from '../../core/nostr/event.ts';
import { type Connection, Subscription } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { compareNewestFirst, matchAny, matchesNothing, textPrefilter } from '../filter.ts';
import { gatedKinds, isEphemeral } from '../kinds.ts';
import { closed, eose, eventMessage } from '../messages.ts';
import { isExpired } from '../nips/nip40.ts';
import type { StoredRow } from '../store.ts';
import type { Accepted, Filter, NostrEvent } from '../types.ts';
import { limitOf, readRefusal } from './read.ts';

/** Filters worth asking the database: they want stored events (limit 0: live only) that can exist. */
const storedFilters = (filters: Filter[]) => filters.filter((f) => f.limit !== 0 && !matchesNothing(f) && !(f.kinds && f.kinds.every(isEphemeral)));

async function windowEvents(r: RelayEngine, filters: Filter[], now: number): Promise<Accepted[]> {
  const limit = limitOf(r);
  const parts = filters.flatMap((f) => {
    if (matchesNothing(f) || f.limit === 0) return [];
    const kinds = (f.kinds ?? []).filter(isEphemeral);
    const n = limit(f);
    return f.authors ? kinds.flatMap((kind) => f.authors!.map((author) => ({ kind, author, limit: n }))) : kinds.map((kind) => ({ kind, limit: n }));
  });
  if (!parts.length) return [];
  const recent = await r.fanout.recentEphemeral(parts, textPrefilter(filters));
  return recent.filter((a) => matchAny(filters, a.event) && !isExpired(a.event, now));
}

export async function handleReq(r: RelayEngine, conn: Connection, subId: string, filters: Filter[]): Promise<void> {
  const previous = conn.subs.get(subId);
  const why = readRefusal(r, conn, filters, !previous, true);
  if (why) return conn.refuse(closed(subId, why), why);
  if (previous) r.live.remove(previous);
  const sub = new Subscription(conn, subId, filters);
  conn.subs.set(subId, sub);
  r.live.add(sub);

  const now = nowSeconds();
  const sent = new Set<string>();
  try {
    const query = storedFilters(filters);
    const [rows, recent] = await Promise.all([
      query.length ? r.store.query(query, limitOf(r), now) : Promise.resolve([]),
      windowEvents(r, filters, now),
    ]);
    if (conn.subs.get(subId) !== sub || conn.closed) return; // closed or replaced meanwhile
    const out: Array<StoredRow & { event?: NostrEvent }> = rows;
    if (recent.length) {
      out.push(...recent.map(({ event, raw }) => ({ created_at: event.created_at, id: event.id, kind: event.kind, raw, event })));
      out.sort(compareNewestFirst);
      out.length = Math.min(out.length, r.config.RELAY_MAX_LIMIT);
    }
    for (const row of out) {
      if (sent.has(row.id)) continue;
      // Only rows of gated kinds are parsed, to check who may read them.
      if (gatedKinds.has(row.kind) && !conn.canRead(row.event ?? (JSON.parse(row.raw) as NostrEvent))) continue;
      sent.add(row.id);
      conn.send(eventMessage(subId, row.raw));
    }
  } catch (err) {
    r.log.error({ err, subId }, 'relay: query failed');
    r.live.remove(sub);
    conn.subs.delete(subId);
    return conn.send(closed(subId, 'error: could not run the query'));
  }
  conn.send(eose(subId));
  const pending = sub.pending ?? [];
  sub.pending = undefined;
  for (const acc of pending) if (!sent.has(acc.event.id)) conn.send(eventMessage(subId, acc.raw));
}
