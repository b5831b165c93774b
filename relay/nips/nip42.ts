// NIP-42 authentication: each connection gets a random challenge; a signed kind 22242
// event naming that challenge and this relay (a configured public URL, relay/urls.ts) proves
// the pubkey behind the connection.
import { randomBytes } from 'node:crypto';
import type { NostrEvent } from '../types.ts';
import { verifyError } from '../verify.ts';
import { namesUs } from '../urls.ts';

export const AUTH_KIND = 22242;
/** How far an AUTH event's created_at may be from now (seconds). */
const MAX_SKEW = 600;

export const newChallenge = () => randomBytes(16).toString('hex');

/** Undefined when `e` authenticates the connection; else the OK false reason. */
export function authError(e: NostrEvent, challenge: string, relayUrls: readonly string[], now: number): string | undefined {
  if (e.kind !== AUTH_KIND) return `invalid: AUTH needs a kind ${AUTH_KIND} event`;
  if (Math.abs(e.created_at - now) > MAX_SKEW) return 'invalid: AUTH event created_at is too far from now';
  if (!e.tags.some((t) => t[0] === 'challenge' && t[1] === challenge)) return 'invalid: AUTH challenge does not match';
  if (!e.tags.some((t) => t[0] === 'relay' && t[1] !== undefined && namesUs(t[1], relayUrls))) return 'invalid: AUTH relay tag does not name this relay';
  const bad = verifyError(e);
  return bad ? `invalid: ${bad}` : undefined;
}
