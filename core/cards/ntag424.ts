// NTAG 424 DNA Secure Unique NFC (SUN) messages as Boltcards use them (NXP AN12196, Boltcard
// SPEC.md): `p` is the PICC data (tag 0xC7, 7-byte UID, 3-byte little-endian read counter,
// padding) encrypted with K1 under AES-128 with a zero IV; `c` is the truncated SUN MAC, the
// odd bytes of AES-CMAC(Ks, ∅) where Ks = AES-CMAC(K2, SV2) is the session key of that tap.
// Pure functions on node:crypto; the card simulator (test/sims/boltcard) uses the same ones.
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const PICC_TAG = 0xc7;
export const MAX_COUNTER = 0xff_ff_ff;

const ZERO_IV = Buffer.alloc(16);

function cbc(key: Uint8Array, data: Uint8Array, decrypt = false): Buffer {
  const c = decrypt ? createDecipheriv('aes-128-cbc', key, ZERO_IV) : createCipheriv('aes-128-cbc', key, ZERO_IV);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Doubling in GF(2^128), for the CMAC subkeys (RFC 4493, 2.3). */
function double(block: Buffer): Buffer {
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) out[i] = ((block[i]! << 1) | (i < 15 ? block[i + 1]! >> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

/** AES-CMAC (NIST SP 800-38B, RFC 4493) with a 16-byte key. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const k1 = double(cbc(key, ZERO_IV));
  const k2 = double(k1);
  const complete = message.length > 0 && message.length % 16 === 0;
  const padded = Buffer.alloc(complete ? message.length : (Math.floor(message.length / 16) + 1) * 16);
  Buffer.from(message).copy(padded);
  if (!complete) padded[message.length] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) padded[padded.length - 16 + i]! ^= subkey[i]!;
  return cbc(key, padded).subarray(-16);
}

export interface PiccData { uid: Buffer; counter: number }

/** Decrypts `p` with K1; undefined when it is not PICC data (another key, or garbage). */
export function decryptPicc(k1: Uint8Array, p: Uint8Array): PiccData | undefined {
  if (p.length !== 16) return undefined;
  const plain = cbc(k1, p, true);
  if (plain[0] !== PICC_TAG) return undefined;
  return { uid: plain.subarray(1, 8), counter: plain.readUIntLE(8, 3) };
}

/** Encrypts PICC data with K1, as the card does (the 5 padding bytes are the card's own). */
export function encryptPicc(k1: Uint8Array, picc: PiccData, padding: Uint8Array = Buffer.alloc(5)): Buffer {
  const plain = Buffer.alloc(16);
  plain[0] = PICC_TAG;
  Buffer.from(picc.uid).copy(plain, 1);
  plain.writeUIntLE(picc.counter, 8, 3);
  Buffer.from(padding).subarray(0, 5).copy(plain, 11);
  return cbc(k1, plain);
}

/** SV2 = 3CC3 0001 0080 ‖ UID ‖ counter (LE): the input of the session MAC key. */
export function sv2Of(picc: PiccData): Buffer {
  const sv2 = Buffer.from('3cc30001008000000000000000000000', 'hex');
  Buffer.from(picc.uid).copy(sv2, 6);
  sv2.writeUIntLE(picc.counter, 13, 3);
  return sv2;
}

/** The 8-byte SUN MAC `c` of a tap: the odd bytes of CMAC(CMAC(K2, SV2), ∅). */
export function sunMac(k2: Uint8Array, picc: PiccData): Buffer {
  const full = aesCmac(aesCmac(k2, sv2Of(picc)), Buffer.alloc(0));
  return Buffer.from([1, 3, 5, 7, 9, 11, 13, 15].map((i) => full[i]!));
}
