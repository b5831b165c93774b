// Hand-built Nostr events for tests that need what honest libraries refuse to make.
import * as nip44 from 'nostr-tools/nip44';
import { finalizeEvent, generateSecretKey, getEventHash, type NostrEvent } from 'nostr-tools/pure';

const encryptFor = (data: unknown, sk: Uint8Array, pk: string) => nip44.encrypt(JSON.stringify(data), nip44.getConversationKey(sk, pk));

/** As it would arrive over the wire: nostr-tools caches verification in a symbol that spreads copy. */
export const wire = (e: NostrEvent): NostrEvent => JSON.parse(JSON.stringify(e));

/** A kind-14 rumor by `pubkey` with a correct id. */
export function rumor(pubkey: string, recipient: string, content = 'balance') {
  const r = { pubkey, created_at: 1_700_000_000, kind: 14, tags: [['p', recipient]], content };
  return { ...r, id: getEventHash(r) };
}

/** A seal of any payload, signed by `signer`, encrypted to `recipient`. */
export function seal(payload: unknown, signer: Uint8Array, recipient: string, tags: string[][] = []): NostrEvent {
  return finalizeEvent({ kind: 13, created_at: 1, tags, content: encryptFor(payload, signer, recipient) }, signer);
}

/** A gift wrap of any payload from a throwaway key. */
export function giftWrap(payload: unknown, recipient: string, tags = [['p', recipient]]): NostrEvent {
  const ephemeral = generateSecretKey();
  return finalizeEvent({ kind: 1059, created_at: 1, tags, content: encryptFor(payload, ephemeral, recipient) }, ephemeral);
}

/** What an impersonator sends: a rumor claiming `victim`, sealed by `forger`. */
export const forgedGiftWrap = (victim: string, forger: Uint8Array, recipient: string, text = 'pay lnbc1…'): NostrEvent =>
  giftWrap(seal(rumor(victim, recipient, text), forger, recipient), recipient);
