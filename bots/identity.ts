// A bot's public identity on Nostr: its profile (kind 0), where to DM it (kind 10050, NIP-17)
// and its relays (kind 10002, NIP-65), published each time an instance starts leading for it.
import { DirectMessageRelaysList, Metadata, RelayList } from 'nostr-tools/kinds';
import type { NostrEvent } from 'nostr-tools/pure';
import type { Signer } from 'nostr-tools/signer';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import { nowSeconds } from '../core/nostr/event.ts';
import type { RelayPool } from '../core/nostr/pool.ts';
import { botRelays } from '../core/nostr/relays.ts';
import { normalizeURL } from 'nostr-tools/utils';

export interface BotProfile {
  name: string;
  about: string;
  picture?: string;
  /** `name@domain`, only when the service has a public domain to answer for it. */
  nip05?: string;
  lud16?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The bot relays whose events need no second signature check: our own relay (RELAY_URL), which
 * verifies every event before storing or delivering it, when it is reached over loopback or
 * TLS — a path on which nobody can alter events in between. Other relays are always verified.
 */
export function trustedRelays(config: Config): string[] {
  const own = new URL(config.relayUrl);
  const safe = own.protocol === 'wss:' || LOOPBACK.has(own.hostname);
  return safe ? botRelays(config).filter((r) => normalizeURL(r) === normalizeURL(config.relayUrl)) : [];
}

/** `user@host` at the PUBLIC_URL host, or undefined while the service has no public URL. */
export function publicAddress(config: Config, user: string): string | undefined {
  return config.PUBLIC_URL ? `${user}@${new URL(config.PUBLIC_URL).hostname}` : undefined;
}

/** Kind 0, 10050 and 10002 events for a bot, signed with its key. */
export function identityEvents(profile: BotProfile, relays: string[], signer: Signer, createdAt = nowSeconds()): Promise<NostrEvent[]> {
  const content = JSON.stringify(Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined)));
  return Promise.all([
    { kind: Metadata, tags: [], content },
    { kind: DirectMessageRelaysList, tags: relays.map((r) => ['relay', r]), content: '' },
    { kind: RelayList, tags: relays.map((r) => ['r', r]), content: '' },
  ].map((template) => signer.signEvent({ ...template, created_at: createdAt })));
}

/** Publishes the identity to the pool's relays and logs what each relay said. */
export async function publishIdentity(pool: RelayPool, signing: Promise<NostrEvent[]>, log: Logger): Promise<void> {
  let events: NostrEvent[];
  try {
    events = await signing;
  } catch (err) {
    return log.warn({ err }, 'bot identity not signed');
  }
  const results = (await Promise.all(events.map((e) => pool.publish(e)))).flat();
  const failed = results.filter((r) => !r.ok);
  if (failed.length) log.warn({ failed }, 'bot identity not accepted everywhere');
  else log.info({ relays: pool.urls }, 'bot identity published');
}
