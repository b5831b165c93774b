// COUNT (NIP-45): an exact count over the OR'ed filters; with a single filter that has a
// tag attribute, also the HyperLogLog registers of the counted events' authors.
import { nowSeconds } from '../../core/nostr/event.ts';
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { matchesNothing } from '../filter.ts';
import { closed, countMessage } from '../messages.ts';
import { hllOf, hllSeed } from '../nips/nip45.ts';
import type { Filter } from '../types.ts';
import { countRefusal, readRefusal } from './read.ts';

export async function handleCount(r: RelayEngine, conn: Connection, subId: string, filters: Filter[]): Promise<void> {
  const why = readRefusal(r, conn, filters, false) ?? countRefusal(conn, filters);
  if (why) return conn.refuse(closed(subId, why), why);
  const live = filters.filter((f) => !matchesNothing(f));
  const now = nowSeconds();
  try {
    const seed = filters.length === 1 && live.length === 1 ? hllSeed(live[0]!) : undefined;
    if (seed !== undefined) {
      const authors = await r.store.authorsOf(live[0]!, now, [...conn.authed]);
      const count = authors.reduce((n, a) => n + a.n, 0);
      return conn.send(countMessage(subId, { count, hll: hllOf(seed, authors.map((a) => a.pubkey)) }));
    }
    conn.send(countMessage(subId, { count: live.length ? await r.store.count(live, now, [...conn.authed]) : 0 }));
  } catch (err) {
    r.log.error({ err, subId }, 'relay: count failed');
    conn.send(closed(subId, 'error: could not count'));
  }
}
