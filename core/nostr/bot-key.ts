// A bot's key as the bots use it: sign their events and open and write DMs. Held in this
// process (sealed in `secrets`, or configured), or by a NIP-46 signer (`bunker.ts`), where each
// use is a round trip over a relay.
import type { NostrEvent } from 'nostr-tools/pure';
import type { Signer } from 'nostr-tools/signer';
import { createDm, createDmVia, openDm, openDmVia, type DmScheme, type IncomingDm } from './dm.ts';
import type { BunkerKey } from './bunker.ts';
import { npub, type KeyPair } from './keys.ts';
import { finalizeEvent } from './secp.ts';

export interface BotKey {
  pubkey: string;
  npub: string;
  /** Signs the bot's own events and its NIP-42 AUTH. */
  signer: Signer;
  openDm(event: NostrEvent): Promise<IncomingDm>;
  createDm(scheme: DmScheme, recipient: string, text: string, replyTo?: string): Promise<NostrEvent>;
  close(): void;
}

/** A key in this process: native signing and the cached shared keys of `dm.ts`. */
export function localBotKey(key: KeyPair): BotKey {
  return {
    pubkey: key.pubkey,
    npub: key.npub,
    signer: { getPublicKey: async () => key.pubkey, signEvent: async (template) => finalizeEvent(template, key.secretKey) },
    openDm: async (event) => openDm(event, key.secretKey),
    createDm: async (scheme, recipient, text, replyTo) => createDm(scheme, key.secretKey, recipient, text, replyTo),
    close: () => {},
  };
}

/** A key held by a NIP-46 signer. */
export function remoteBotKey(remote: BunkerKey): BotKey {
  return {
    pubkey: remote.pubkey,
    npub: npub(remote.pubkey),
    signer: { getPublicKey: async () => remote.pubkey, signEvent: (template) => remote.sign(template) },
    openDm: (event) => openDmVia(event, remote),
    createDm: (scheme, recipient, text, replyTo) => createDmVia(scheme, remote, recipient, text, replyTo),
    close: () => remote.close(),
  };
}
