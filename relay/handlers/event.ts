// EVENT: checks in order of cost (limits, rate, signature, lists, auth, pow, expiry, the
// operator's hook), then one strategy per kind class: ephemeral events only go live;
// requests to vanish erase; everything else is group-committed and goes live after commit.
import { nowSeconds } from '../../core/nostr/event.ts';
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';
import { isEphemeral } from '../kinds.ts';
import { canonicalEvent, ok } from '../messages.ts';
import { powError } from '../nips/nip13.ts';
import { isExpired } from '../nips/nip40.ts';
import { isVanishRequestFor } from '../nips/nip62.ts';
import { protectedError } from '../nips/nip70.ts';
import type { WriteOutcome } from '../store.ts';
import type { Accepted, NostrEvent } from '../types.ts';

const replies: Record<WriteOutcome, [boolean, string]> = {
  stored: [true, ''],
  duplicate: [true, 'duplicate: already have this event'],
  superseded: [true, 'duplicate: a newer version of this replaceable event is stored'],
  deleted: [false, 'blocked: this event was deleted by its author'],
  vanished: [false, 'blocked: this pubkey asked to vanish from this relay'],
};

/** The OK false reason for an event this connection may not publish, or undefined. */
async function refusal(r: RelayEngine, conn: Connection, acc: Accepted, vanish: boolean): Promise<string | undefined> {
  const now = nowSeconds();
  const p = r.policy;
  const e = acc.event;
  const bad = await r.verifier.verify(acc);
  if (bad) return `invalid: ${bad}`;
  // A request to vanish must be honoured whatever the author's standing (NIP-62).
  if (vanish) return undefined;
  return p.listError(e)
    ?? (r.config.RELAY_AUTH_WRITE && conn.authed.size === 0 ? 'auth-required: authenticate to publish here' : undefined)
    ?? protectedError(e, conn.authed)
    ?? powError(e, r.config.RELAY_MIN_POW)
    ?? (isExpired(e, now) ? 'invalid: event has expired' : undefined)
    ?? await p.hookError(e, { ip: conn.ip, authed: [...conn.authed] });
}

export async function handleEvent(r: RelayEngine, conn: Connection, input: NostrEvent): Promise<void> {
  const { event, raw } = canonicalEvent(input);
  const early = r.policy.limitsError(event, nowSeconds()) ?? r.policy.eventRateError(conn, event);
  if (early) return conn.send(ok(event.id, false, early));
  const vanish = isVanishRequestFor(event, conn.urls);
  const why = await refusal(r, conn, { event, raw }, vanish);
  if (why) return conn.refuse(ok(event.id, false, why), why);

  if (isEphemeral(event.kind)) {
    conn.send(ok(event.id, true));
    return r.accepted({ event, raw }, true);
  }
  let outcome: WriteOutcome;
  try {
    outcome = await r.store.write({ event, raw, vanish });
  } catch (err) {
    r.log.error({ err, id: event.id }, 'relay: write failed');
    return conn.send(ok(event.id, false, 'error: could not store the event'));
  }
  const [accepted, message] = replies[outcome];
  conn.send(ok(event.id, accepted, message));
  if (outcome === 'stored' && !vanish) r.accepted({ event, raw }, false);
}
