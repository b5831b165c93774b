// AUTH (NIP-42): a signed answer to this connection's challenge adds its pubkey to the
// connection's authenticated set (several pubkeys may authenticate on one connection).
import { nowSeconds } from '../../core/nostr/event.ts';
import type { Connection } from '../connection.ts';
import { ok } from '../messages.ts';
import { authError } from '../nips/nip42.ts';
import type { NostrEvent } from '../types.ts';

export function handleAuth(conn: Connection, e: NostrEvent): void {
  const why = authError(e, conn.challenge, conn.urls, nowSeconds());
  if (why) return conn.send(ok(e.id, false, why));
  conn.authed.add(e.pubkey);
  conn.send(ok(e.id, true));
}
