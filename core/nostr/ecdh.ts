// secp256k1 ECDH through native libsecp256k1 (bcrypto's binding): ~50 µs a point
// multiplication here, against ~170 µs in tiny-secp256k1's WASM build, ~0.6 ms for OpenSSL's
// generic curve code and more for the pure-JS maths in @noble/curves that nostr-tools uses.
// Every NIP-17 message needs two ECDHs that no cache can save (the gift wrap's ephemeral key,
// in and out), so under load this was the bots' largest cost.
import schnorr from 'bcrypto/lib/schnorr.js';
import { hmacSha256 } from './nip44.ts';
import { asBuffer } from './secp.ts';

/**
 * The x coordinate of the shared point between `secretKey` and `pubkey` (x-only hex, lifted with
 * even y as NIP-04 and NIP-44 do). Throws when `pubkey` is not a point on the curve.
 */
export function sharedX(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return schnorr.derive(Buffer.from(pubkey, 'hex'), asBuffer(secretKey));
}

const NIP44_SALT = Buffer.from('nip44-v2');

/** NIP-44 v2 conversation key: HKDF-extract(salt "nip44-v2", shared x). */
export function nip44ConversationKey(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return new Uint8Array(hmacSha256(NIP44_SALT, sharedX(secretKey, pubkey)));
}

/** A fresh one-time key and its conversation key with `pubkey` (a gift wrap's ephemeral side). */
export function ephemeralConversation(pubkey: string): { secretKey: Uint8Array; conversationKey: Uint8Array } {
  const secretKey = schnorr.privateKeyGenerate();
  return { secretKey, conversationKey: nip44ConversationKey(secretKey, pubkey) };
}
