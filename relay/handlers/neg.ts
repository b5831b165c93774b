// NEG-OPEN, NEG-MSG, NEG-CLOSE (NIP-77). Sessions count toward the subscription cap and are
// refused when the filter covers more than RELAY_NEG_MAX_RECORDS events.
import { nowSeconds } from '../../core/nostr/event.ts';
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { matchesNothing } from '../filter.ts';
import { negErr, negMsg } from '../messages.ts';
import { NegSession } from '../nips/nip77.ts';
import type { Filter } from '../types.ts';
import { readRefusal } from './read.ts';

export async function handleNegOpen(r: RelayEngine, conn: Connection, subId: string, filter: Filter, message: string): Promise<void> {
  conn.negs?.delete(subId);
  const why = readRefusal(r, conn, [filter], true);
  if (why) return conn.refuse(negErr(subId, why), why);
  const max = r.config.RELAY_NEG_MAX_RECORDS;
  let session: NegSession;
  try {
    const items = matchesNothing(filter) ? [] : await r.store.idsOf(filter, nowSeconds(), max + 1);
    if (items.length > max) return conn.send(negErr(subId, `blocked: this query covers more than ${max} events`));
    session = new NegSession(items);
  } catch (err) {
    r.log.error({ err, subId }, 'relay: negentropy query failed');
    return conn.send(negErr(subId, 'error: could not run the query'));
  }
  (conn.negs ??= new Map()).set(subId, session);
  answer(conn, subId, session, message);
}

function answer(conn: Connection, subId: string, session: NegSession, message: string): void {
  try {
    conn.send(negMsg(subId, session.reply(message)));
  } catch (err) {
    conn.negs?.delete(subId);
    conn.send(negErr(subId, `invalid: ${(err as Error).message}`));
  }
}

export function handleNegMsg(conn: Connection, subId: string, message: string): void {
  const session = conn.negs?.get(subId);
  if (!session) return conn.send(negErr(subId, 'closed: no open negentropy session with this id'));
  answer(conn, subId, session, message);
}

export function handleNegClose(conn: Connection, subId: string): void {
  conn.negs?.delete(subId);
}
