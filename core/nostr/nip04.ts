// NIP-04 encryption over a precomputed shared secret. nostr-tools' nip04 redoes the ECDH on
// every call; the bots talk to the same peers over and over, so they derive the secret once
// (`nip04SharedSecret`, cached by shared-keys.ts) and encrypt/decrypt with it here.
// Spec: AES-256-CBC keyed with the x-coordinate of the ECDH point, content "<b64 ct>?iv=<b64 iv>".
import { cbc } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { sharedX } from './ecdh.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The AES key NIP-04 uses between `secretKey` and `pubkey` (x-only hex): the shared point's x. */
export function nip04SharedSecret(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return sharedX(secretKey, pubkey);
}

export function nip04Encrypt(sharedSecret: Uint8Array, text: string): string {
  const iv = randomBytes(16);
  const ciphertext = cbc(sharedSecret, iv).encrypt(encoder.encode(text));
  return `${base64.encode(ciphertext)}?iv=${base64.encode(iv)}`;
}

/** Throws on a malformed payload, a wrong key (bad padding) or text that is not UTF-8. */
export function nip04Decrypt(sharedSecret: Uint8Array, payload: string): string {
  const [ct, iv, ...rest] = payload.split('?iv=');
  if (!ct || !iv || rest.length) throw new Error('not a NIP-04 payload');
  const ivBytes = base64.decode(iv);
  if (ivBytes.length !== 16) throw new Error('NIP-04 iv must be 16 bytes');
  return decoder.decode(cbc(sharedSecret, ivBytes).decrypt(base64.decode(ct)));
}
