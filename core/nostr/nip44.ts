// NIP-44 v2 payloads over node's native crypto (OpenSSL ChaCha20, HMAC-SHA256, base64).
// nostr-tools' nip44 does the same in pure JS; a gift-wrapped DM is four NIP-44 operations on
// each side, and there the pure-JS ChaCha20 and base64 cost about ten times the native ones.
// Same format and checks as nostr-tools (tests compare both ways), including its prefix for
// plaintexts over 65535 bytes.
import { createCipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const MAX_U16 = 0xffff;
const MAX_PLAINTEXT = 0xffffffff;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ZERO_COUNTER = Buffer.alloc(4);
const decoder = new TextDecoder('utf-8');

/** Length a plaintext of `len` bytes is padded to (NIP-44). */
export function paddedLength(len: number): number {
  if (len <= 32) return 32;
  const nextPower = 2 ** (Math.floor(Math.log2(len - 1)) + 1);
  const chunk = nextPower <= 256 ? 32 : nextPower / 8;
  return chunk * (Math.floor((len - 1) / chunk) + 1);
}

/** ChaCha key, ChaCha nonce and HMAC key for one message: HKDF-expand(conversation key, nonce, 76). */
function messageKeys(conversationKey: Uint8Array, nonce: Uint8Array): { chacha: Buffer; iv: Buffer; hmac: Buffer } {
  const t1 = createHmac('sha256', conversationKey).update(nonce).update(Buffer.of(1)).digest();
  const t2 = createHmac('sha256', conversationKey).update(t1).update(nonce).update(Buffer.of(2)).digest();
  const t3 = createHmac('sha256', conversationKey).update(t2).update(nonce).update(Buffer.of(3)).digest();
  const okm = Buffer.concat([t1, t2, t3]);
  // OpenSSL's ChaCha20 takes a 16-byte IV: the 32-bit block counter (0) then the 96-bit nonce.
  return { chacha: okm.subarray(0, 32), iv: Buffer.concat([ZERO_COUNTER, okm.subarray(32, 44)]), hmac: okm.subarray(44, 76) };
}

const chacha20 = (key: Buffer, iv: Buffer, data: Uint8Array): Buffer => createCipheriv('chacha20', key, iv).update(data);
const mac = (key: Buffer, nonce: Uint8Array, ciphertext: Uint8Array): Buffer => createHmac('sha256', key).update(nonce).update(ciphertext).digest();

export function nip44Encrypt(plaintext: string, conversationKey: Uint8Array, nonce: Uint8Array = randomBytes(32)): string {
  const text = Buffer.from(plaintext, 'utf8');
  const len = text.length;
  if (len < 1 || len > MAX_PLAINTEXT) throw new Error('invalid plaintext size: must be between 1 and 4294967295 bytes');
  const prefix = len > MAX_U16 ? Buffer.alloc(6) : Buffer.alloc(2);
  if (len > MAX_U16) prefix.writeUInt32BE(len, 2);
  else prefix.writeUInt16BE(len, 0);
  const padded = Buffer.concat([prefix, text, Buffer.alloc(paddedLength(len) - len)]);
  const keys = messageKeys(conversationKey, nonce);
  const ciphertext = chacha20(keys.chacha, keys.iv, padded);
  return Buffer.concat([Buffer.of(2), nonce, ciphertext, mac(keys.hmac, nonce, ciphertext)]).toString('base64');
}

/** Throws on a malformed payload, an unknown version, a wrong MAC (wrong key, altered) or bad padding. */
export function nip44Decrypt(payload: string, conversationKey: Uint8Array): string {
  if (payload.length < 132) throw new Error(`invalid payload length: ${payload.length}`);
  if (payload[0] === '#') throw new Error('unknown encryption version');
  if (!BASE64.test(payload)) throw new Error('invalid base64');
  const data = Buffer.from(payload, 'base64');
  if (data.length < 99) throw new Error(`invalid data length: ${data.length}`);
  if (data[0] !== 2) throw new Error(`unknown encryption version ${data[0]}`);
  const nonce = data.subarray(1, 33);
  const ciphertext = data.subarray(33, -32);
  const keys = messageKeys(conversationKey, nonce);
  if (!timingSafeEqual(mac(keys.hmac, nonce, ciphertext), data.subarray(-32))) throw new Error('invalid MAC');
  const padded = chacha20(keys.chacha, keys.iv, ciphertext);
  const short = padded.readUInt16BE(0);
  const [len, prefix] = short === 0 && padded.length >= 6 ? [padded.readUInt32BE(2), 6] : [short, 2];
  if (len < 1 || (prefix === 6 && len <= MAX_U16) || padded.length !== prefix + paddedLength(len)) throw new Error('invalid padding');
  return decoder.decode(padded.subarray(prefix, prefix + len));
}
