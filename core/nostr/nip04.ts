// NIP-04 encryption over a precomputed shared secret. nostr-tools' nip04 redoes the ECDH on
// every call; the bots talk to the same peers over and over, so they derive the secret once
// (`nip04SharedSecret`, cached by shared-keys.ts) and encrypt/decrypt with it here.
// Spec: AES-256-CBC keyed with the x-coordinate of the ECDH point, content "<b64 ct>?iv=<b64 iv>".
// AES is noble's (at DM sizes cheaper than setting up an OpenSSL cipher), base64 node's.
import { cbc } from '@noble/ciphers/aes.js';
import { randomBytes } from 'node:crypto';
import { sharedX } from './ecdh.ts';
import { asBuffer } from './secp.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The AES key NIP-04 uses between `secretKey` and `pubkey` (x-only hex): the shared point's x. */
export function nip04SharedSecret(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return sharedX(secretKey, pubkey);
}

export function nip04Encrypt(sharedSecret: Uint8Array, text: string): string {
  const iv = randomBytes(16);
  const ciphertext = cbc(sharedSecret, iv).encrypt(Buffer.from(text, 'utf8'));
  return `${asBuffer(ciphertext).toString('base64')}?iv=${iv.toString('base64')}`;
}

/** Throws on a malformed payload, a wrong key (bad padding) or text that is not UTF-8. */
export function nip04Decrypt(sharedSecret: Uint8Array, payload: string): string {
  const [ct, iv, ...rest] = payload.split('?iv=');
  if (!ct || !iv || rest.length || !BASE64.test(ct) || !BASE64.test(iv)) throw new Error('not a NIP-04 payload');
  const ivBytes = Buffer.from(iv, 'base64');
  if (ivBytes.length !== 16) throw new Error('NIP-04 iv must be 16 bytes');
  return decoder.decode(cbc(sharedSecret, ivBytes).decrypt(Buffer.from(ct, 'base64')));
}
