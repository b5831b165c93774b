// The URLs under which this relay is reached, as clients must name it in NIP-42 AUTH, NIP-62
// requests to vanish and NIP-86 (NIP-98) authorizations. They come from configuration only:
// a client's Host header is chosen by whoever sends it, so trusting it would let another
// relay forward our AUTH challenge to a victim, or replay a request to vanish addressed to
// itself.
import type { Config } from '../core/config.ts';

/** Listen addresses that mean "this machine" (dev): localhost names it too. */
const LOOPBACK_OR_ANY = /^(127\.|::1$|localhost$|0\.0\.0\.0$|::$)/;

/** RELAY_PUBLIC_URLS, else RELAY_URL, else the listen address (port as bound) and, on loopback, localhost. */
export function publicUrls(c: Config, boundPort: number): string[] {
  if (c.RELAY_PUBLIC_URLS?.length) return c.RELAY_PUBLIC_URLS;
  if (c.RELAY_URL) return [c.RELAY_URL];
  const host = c.RELAY_HOST.includes(':') ? `[${c.RELAY_HOST}]` : c.RELAY_HOST;
  const local = LOOPBACK_OR_ANY.test(c.RELAY_HOST) ? [`ws://localhost:${boundPort}`] : [];
  return [...(/^(0\.0\.0\.0|::)$/.test(c.RELAY_HOST) ? [`ws://127.0.0.1:${boundPort}`] : [`ws://${host}:${boundPort}`]), ...local];
}

/**
 * A relay URL for comparison: scheme (http counts as ws and https as wss, the same transport),
 * lowercase host, port unless the scheme's default, path without trailing slash. ws:// and
 * wss:// differ: an event signed for one must not serve on the other.
 */
export function normalizeRelayUrl(url: string): string {
  try {
    const u = new URL(url.trim());
    const scheme = ({ 'http:': 'ws:', 'https:': 'wss:' } as Record<string, string>)[u.protocol] ?? u.protocol;
    // URL drops a scheme's default port, and http and ws share theirs (as https and wss do).
    return `${scheme}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim().toLowerCase();
  }
}

/** True when `url` names one of `ours`. */
export function namesUs(url: string, ours: readonly string[]): boolean {
  const n = normalizeRelayUrl(url);
  return ours.some((o) => normalizeRelayUrl(o) === n);
}
