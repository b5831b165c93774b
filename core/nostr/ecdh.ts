// secp256k1 ECDH through OpenSSL (node:crypto), several times faster than the pure-JS maths in
// @noble/curves that nostr-tools uses. Every NIP-17 message needs two ECDHs that no cache can
// save (the gift wrap's ephemeral key, in and out), so under load this was the bots' largest cost.
import { createECDH, createHmac, type ECDH } from 'node:crypto';

/** One ECDH object per long-lived secret key: setting a private key costs a point multiplication. */
const mine = new WeakMap<Uint8Array, ECDH>();

function ecdhOf(secretKey: Uint8Array): ECDH {
  let ecdh = mine.get(secretKey);
  if (!ecdh) {
    ecdh = createECDH('secp256k1');
    ecdh.setPrivateKey(secretKey);
    mine.set(secretKey, ecdh);
  }
  return ecdh;
}

/**
 * The x coordinate of the shared point between `secretKey` and `pubkey` (x-only hex, lifted with
 * even y as NIP-04 and NIP-44 do). Throws when `pubkey` is not a point on the curve.
 */
export function sharedX(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return new Uint8Array(ecdhOf(secretKey).computeSecret(Buffer.from(`02${pubkey}`, 'hex')));
}

const NIP44_SALT = Buffer.from('nip44-v2');

/** NIP-44 v2 conversation key: HKDF-extract(salt "nip44-v2", shared x). */
export function nip44ConversationKey(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', NIP44_SALT).update(sharedX(secretKey, pubkey)).digest());
}

/** A fresh one-time key and its conversation key with `pubkey` (a gift wrap's ephemeral side). */
export function ephemeralConversation(pubkey: string): { secretKey: Uint8Array; conversationKey: Uint8Array } {
  const ecdh = createECDH('secp256k1');
  ecdh.generateKeys();
  const secretKey = new Uint8Array(32);
  const raw = ecdh.getPrivateKey();
  secretKey.set(raw, 32 - raw.length);
  const shared = ecdh.computeSecret(Buffer.from(`02${pubkey}`, 'hex'));
  return { secretKey, conversationKey: new Uint8Array(createHmac('sha256', NIP44_SALT).update(shared).digest()) };
}
