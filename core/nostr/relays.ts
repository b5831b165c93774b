// Where the service's Nostr identities (bots, NIP-05 names, zap receipts) read and write.
import type { Config } from '../config.ts';

/** The relays bots use: NOSTR_RELAYS, else our own relay. */
export const botRelays = (config: Config): string[] => (config.NOSTR_RELAYS.length ? config.NOSTR_RELAYS : [config.relayUrl]);
