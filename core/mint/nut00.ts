// NUT-00: blind Diffie-Hellman key exchange (BDHKE). The mint signs blinded messages
// (C_ = k·B_) and verifies proofs (C == k·hash_to_curve(secret)); the wallet side (blind,
// unblind) is here too for tests, the bench and the DM bot's own outputs.
// Curve arithmetic runs in native libsecp256k1 (bcrypto's binding): a swap is mostly point
// multiplications, and the pure-JS library took ~30× longer (docs/mint.md, figures).
import { createHash } from 'node:crypto';
import secp from 'bcrypto/lib/secp256k1.js';

/** A point: 33 bytes, compressed SEC1. */
export type Point = Buffer;
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const DOMAIN_SEPARATOR = Buffer.from('Secp256k1_HashToCurve_Cashu_');
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

export const scalarFromHex = (hex: string): bigint => BigInt(`0x${hex}`);
export const scalarHex = (k: bigint): string => k.toString(16).padStart(64, '0');
const scalar = (k: bigint): Buffer => Buffer.from(scalarHex(k), 'hex');

/** hash_to_curve: the first counter (u32 little endian) whose `02 ‖ sha256(h ‖ counter)` is a point. */
export function hashToCurve(message: Uint8Array): Point {
  const msgHash = sha256(DOMAIN_SEPARATOR, message);
  const counter = Buffer.alloc(4);
  for (let i = 0; i < 2 ** 16; i++) {
    counter.writeUInt32LE(i);
    const candidate = Buffer.concat([Buffer.from([2]), sha256(msgHash, counter)]);
    if (secp.publicKeyVerify(candidate)) return candidate;
  }
  throw new Error('hash_to_curve found no point');
}

/** Y of a proof's secret (the secret string's UTF-8 bytes). */
export const secretY = (secret: string): Point => hashToCurve(Buffer.from(secret, 'utf8'));

/** A compressed point from hex; throws when it is not on the curve. */
export function pointFromHex(hex: string): Point {
  const p = Buffer.from(hex, 'hex');
  if (p.length !== 33 || !secp.publicKeyVerify(p)) throw new Error('not a point on the curve');
  return p;
}
export const pointHex = (p: Point): string => p.toString('hex');
/** Uncompressed (65 bytes), as NUT-12 hashes points. */
export const uncompressed = (p: Point): Buffer => secp.publicKeyConvert(p, false);

export const mul = (p: Point, k: bigint): Point => secp.publicKeyTweakMul(p, scalar(k), true);
export const baseMul = (k: bigint): Point => secp.publicKeyCreate(scalar(k), true);
export const add = (a: Point, b: Point): Point => secp.publicKeyCombine([a, b], true);
export const sub = (a: Point, b: Point): Point => secp.publicKeyCombine([a, secp.publicKeyNegate(b, true)], true);

/** The mint's blind signature C_ = k·B_. */
export const signBlinded = (k: bigint, B_: Point): Point => mul(B_, k);

/** Whether C signs the secret under k. */
export const verifyProof = (k: bigint, secret: string, C: Point): boolean => mul(secretY(secret), k).equals(C);

/** Wallet: B_ = Y + r·G. */
export const blindMessage = (secret: Uint8Array, r: bigint): Point => add(hashToCurve(secret), baseMul(r));

/** Wallet: C = C_ − r·K. */
export const unblind = (C_: Point, r: bigint, K: Point): Point => sub(C_, mul(K, r));
