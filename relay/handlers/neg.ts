// NEG-OPEN, NEG-MSG, NEG-CLOSE (NIP-77). Sessions count toward the subscription cap, are
// bounded per connection and per process (each holds its ids in memory), and are refused
// when the filter covers more than RELAY_NEG_MAX_RECORDS events. Gated kinds are covered
// only for the authenticated keys, as COUNT does.
import { nowSeconds } from '../../core/nostr/event.ts';
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { matchesNothing } from '../filter.ts';
import { negErr, negMsg } from '../messages.ts';
import { NegSession } from '../nips/nip77.ts';
import type { Filter } from '../types.ts';
import { readRefusal } from './read.ts';

function sessionRefusal(r: RelayEngine, conn: Connection): string | undefined {
  const c = r.config;
  if ((conn.negs?.size ?? 0) >= c.RELAY_NEG_MAX_SESSIONS) return `blocked: at most ${c.RELAY_NEG_MAX_SESSIONS} negentropy sessions per connection`;
  if (r.negSessions >= c.RELAY_NEG_MAX_SESSIONS_TOTAL) return 'rate-limited: too many negentropy sessions on this relay, try again later';
  return undefined;
}

export async function handleNegOpen(r: RelayEngine, conn: Connection, subId: string, filter: Filter, message: string): Promise<void> {
  r.closeNeg(conn, subId);
  const why = readRefusal(r, conn, [filter], true) ?? sessionRefusal(r, conn);
  if (why) return conn.refuse(negErr(subId, why), why);
  const max = r.config.RELAY_NEG_MAX_RECORDS;
  let session: NegSession;
  try {
    const items = matchesNothing(filter) ? [] : await r.store.idsOf(filter, nowSeconds(), max + 1, [...conn.authed]);
    if (items.length > max) return conn.send(negErr(subId, `blocked: this query covers more than ${max} events`));
    session = new NegSession(items);
  } catch (err) {
    r.log.error({ err, subId }, 'relay: negentropy query failed');
    return conn.send(negErr(subId, 'error: could not run the query'));
  }
  // Checked again: other NEG-OPENs of this connection may have been admitted meanwhile.
  if (conn.closed) return;
  const late = sessionRefusal(r, conn);
  if (late) return conn.send(negErr(subId, late));
  r.openNeg(conn, subId, session);
  answer(r, conn, subId, session, message);
}

function answer(r: RelayEngine, conn: Connection, subId: string, session: NegSession, message: string): void {
  try {
    conn.send(negMsg(subId, session.reply(message)));
  } catch (err) {
    r.closeNeg(conn, subId);
    conn.send(negErr(subId, `invalid: ${(err as Error).message}`));
  }
}

export function handleNegMsg(r: RelayEngine, conn: Connection, subId: string, message: string): void {
  const session = conn.negs?.get(subId);
  if (!session) return conn.send(negErr(subId, 'closed: no open negentropy session with this id'));
  answer(r, conn, subId, session, message);
}

export function handleNegClose(r: RelayEngine, conn: Connection, subId: string): void {
  r.closeNeg(conn, subId);
}
