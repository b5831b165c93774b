// Kind-0 profiles (for an npub's lud16) and zapped events, looked up on relays.
import type { NostrEvent } from 'nostr-tools/pure';
import { SimplePool } from 'nostr-tools/pool';

/** Looks up kind-0 profiles and events on relays (ours, plus any a pointer names). */
export interface ProfileSource {
  profile(pubkey: string): Promise<NostrEvent | undefined>;
  event(id: string, relays?: string[]): Promise<NostrEvent | undefined>;
  close(): void;
}

export function relayProfiles(relays: string[], maxWaitMs = 3000): ProfileSource {
  const pool = new SimplePool();
  const used = new Set(relays);
  const newest = (events: NostrEvent[]) => events.sort((a, b) => b.created_at - a.created_at)[0];
  return {
    profile: async (pubkey) => newest(await pool.querySync(relays, { kinds: [0], authors: [pubkey] }, { maxWait: maxWaitMs })),
    async event(id, extra = []) {
      const urls = [...new Set([...relays, ...extra])];
      for (const u of urls) used.add(u);
      return newest(await pool.querySync(urls, { ids: [id] }, { maxWait: maxWaitMs }));
    },
    close: () => pool.close([...used]),
  };
}
