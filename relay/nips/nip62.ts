// NIP-62 request to vanish: a kind 62 event whose `relay` tag names this relay, or
// ALL_RELAYS, makes the relay forget everything its author published until then.
import type { NostrEvent } from '../types.ts';

export const VANISH_KIND = 62;

/** Compares relay URLs loosely: scheme-agnostic (ws/http, wss/https), no trailing slash, lowercase host. */
export function normalizeRelayUrl(url: string): string {
  try {
    const u = new URL(url.trim());
    return `${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim().toLowerCase();
  }
}

export function isVanishRequestFor(e: NostrEvent, relayUrls: readonly string[]): boolean {
  if (e.kind !== VANISH_KIND) return false;
  const ours = new Set(relayUrls.map(normalizeRelayUrl));
  return e.tags.some((t) => t[0] === 'relay' && t[1] !== undefined && (t[1] === 'ALL_RELAYS' || ours.has(normalizeRelayUrl(t[1]))));
}
