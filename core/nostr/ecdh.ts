// secp256k1 ECDH through tiny-secp256k1 (libsecp256k1 compiled to WASM): about 0.2 ms a point
// multiplication here, against 0.8 ms for OpenSSL's generic curve code and more for the pure-JS
// maths in @noble/curves that nostr-tools uses. Every NIP-17 message needs two ECDHs that no
// cache can save (the gift wrap's ephemeral key, in and out), so under load this was the bots'
// largest cost.
import { randomBytes } from 'node:crypto';
import { isPrivate, pointMultiply } from 'tiny-secp256k1';
import { hmacSha256 } from './nip44.ts';

/**
 * The x coordinate of the shared point between `secretKey` and `pubkey` (x-only hex, lifted with
 * even y as NIP-04 and NIP-44 do). Throws when `pubkey` is not a point on the curve.
 */
export function sharedX(secretKey: Uint8Array, pubkey: string): Uint8Array {
  const point = pointMultiply(Buffer.from(`02${pubkey}`, 'hex'), secretKey, true);
  if (!point) throw new Error('the shared point is at infinity');
  return point.subarray(1);
}

const NIP44_SALT = Buffer.from('nip44-v2');

/** NIP-44 v2 conversation key: HKDF-extract(salt "nip44-v2", shared x). */
export function nip44ConversationKey(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return new Uint8Array(hmacSha256(NIP44_SALT, sharedX(secretKey, pubkey)));
}

/** A fresh one-time key and its conversation key with `pubkey` (a gift wrap's ephemeral side). */
export function ephemeralConversation(pubkey: string): { secretKey: Uint8Array; conversationKey: Uint8Array } {
  let secretKey = new Uint8Array(randomBytes(32));
  while (!isPrivate(secretKey)) secretKey = new Uint8Array(randomBytes(32));
  return { secretKey, conversationKey: nip44ConversationKey(secretKey, pubkey) };
}
