// A NIP-46 signer (bunker) for tests and benchmarks: NDK's NIP-46 backend holding `secretKey`,
// answering every client over `relayUrl`.
import NDK, { NDKNip46Backend, NDKPrivateKeySigner } from '@nostr-dev-kit/ndk';
import { bytesToHex } from '@noble/hashes/utils.js';

export interface Bunker { stop(): void }

/** `stop` drops its relay connections, as a signer process that dies would. */
export async function startBunker(secretKey: Uint8Array, relayUrl: string): Promise<Bunker> {
  const ndk = new NDK({ explicitRelayUrls: [relayUrl] });
  await ndk.connect(5000);
  const backend = new NDKNip46Backend(ndk, new NDKPrivateKeySigner(bytesToHex(secretKey)), async () => true);
  await backend.start();
  return { stop: () => { for (const r of ndk.pool.relays.values()) r.disconnect(); } };
}
