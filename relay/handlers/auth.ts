// AUTH (NIP-42): a signed answer to this connection's challenge adds its pubkey to the
// connection's authenticated set (several pubkeys may authenticate on one connection). A
// connection that authenticates as one of the service's bots is exempt from rate limits.
import { nowSeconds } from '../../core/nostr/event.ts';
import { signedByUs } from '../../core/nostr/secp.ts';
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { ok } from '../messages.ts';
import { authError } from '../nips/nip42.ts';
import type { NostrEvent } from '../types.ts';

export function handleAuth(r: RelayEngine, conn: Connection, e: NostrEvent): void {
  if (!r.policy.allowsAuth(conn)) return conn.send(ok(e.id, false, 'rate-limited: too many AUTH attempts, slow down'));
  const why = authError(e, conn.challenge, conn.urls, nowSeconds());
  if (why) return conn.send(ok(e.id, false, why));
  conn.authed.add(e.pubkey);
  // signedByUs: a bot in this process answered (its key may be newer than the policy's list).
  if (r.policy.isExemptPubkey(e.pubkey) || signedByUs(e)) conn.exempt = true;
  conn.send(ok(e.id, true));
}
