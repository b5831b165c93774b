// NIP-40 expiration: the `expiration` tag's unix time. Expired events are refused on
// arrival, never served (queries filter on expires_at) and purged in the background.
import type { NostrEvent } from '../types.ts';

export function expirationOf(e: NostrEvent): number | undefined {
  for (const t of e.tags) {
    if (t[0] === 'expiration' && t[1] !== undefined && /^\d{1,15}$/.test(t[1])) return Number(t[1]);
  }
  return undefined;
}

export function isExpired(e: NostrEvent, now: number): boolean {
  const at = expirationOf(e);
  return at !== undefined && at <= now;
}
