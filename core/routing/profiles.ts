// Kind-0 profiles (for an npub's lud16) and zapped events, looked up on relays.
import type { NostrEvent } from 'nostr-tools/pure';
import { AbstractSimplePool } from 'nostr-tools/abstract-pool';
import type { Outbound } from '../outbound.ts';
import { verifyEvent } from '../nostr/secp.ts';

/** Looks up kind-0 profiles and events on relays (ours, plus any a pointer names). */
export interface ProfileSource {
  profile(pubkey: string): Promise<NostrEvent | undefined>;
  event(id: string, relays?: string[]): Promise<NostrEvent | undefined>;
  close(): void;
}

/** `relays` are ours; relays a pointer names are a stranger's choice and go through `outbound`. */
export function relayProfiles(relays: string[], outbound: Outbound, maxWaitMs = 3000): ProfileSource {
  const pool = new AbstractSimplePool({ verifyEvent, websocketImplementation: outbound.WebSocket as unknown as typeof WebSocket, maxWaitForConnection: maxWaitMs });
  const used = new Set(relays);
  const newest = (events: NostrEvent[]) => events.sort((a, b) => b.created_at - a.created_at)[0];
  return {
    profile: async (pubkey) => newest(await pool.querySync(relays, { kinds: [0], authors: [pubkey] }, { maxWait: maxWaitMs })),
    async event(id, extra = []) {
      const urls = [...new Set([...relays, ...outbound.capRelays(extra)])];
      for (const u of urls) used.add(u);
      return newest(await pool.querySync(urls, { ids: [id] }, { maxWait: maxWaitMs }));
    },
    close: () => pool.close([...used]),
  };
}
