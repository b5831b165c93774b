// NIP-62 request to vanish: a kind 62 event whose `relay` tag names this relay (one of its
// configured public URLs, relay/urls.ts), or ALL_RELAYS, makes the relay forget everything
// its author published until then.
import type { NostrEvent } from '../types.ts';
import { namesUs } from '../urls.ts';

export const VANISH_KIND = 62;

export function isVanishRequestFor(e: NostrEvent, relayUrls: readonly string[]): boolean {
  if (e.kind !== VANISH_KIND) return false;
  return e.tags.some((t) => t[0] === 'relay' && t[1] !== undefined && (t[1] === 'ALL_RELAYS' || namesUs(t[1], relayUrls)));
}
