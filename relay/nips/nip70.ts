// NIP-70 protected events: an event tagged ["-"] may only be published by its
// authenticated author.
import type { NostrEvent } from '../types.ts';

export const isProtected = (e: NostrEvent) => e.tags.some((t) => t.length === 1 && t[0] === '-');

/** Undefined when the connection may publish `e`; else the OK false reason. */
export function protectedError(e: NostrEvent, authed: ReadonlySet<string>): string | undefined {
  if (!isProtected(e) || authed.has(e.pubkey)) return undefined;
  return authed.size === 0
    ? 'auth-required: this event may only be published by its author'
    : 'restricted: this event may only be published by its author';
}
