// NUT-12: discrete-log equality proofs. The mint proves that C_ = a·B_ uses the same a as its
// public key A = a·G, with a deterministic nonce (HMAC of a over the points), so an RNG fault
// can never reuse a nonce and leak a key.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { CURVE_ORDER, Point, scalarHex, type Point as P } from './nut00.ts';

const NONCE_TAG = utf8ToBytes('Cashu_DLEQ_R_v1');
const n = CURVE_ORDER;
const mod = (x: bigint) => ((x % n) + n) % n;
const toBig = (b: Uint8Array) => BigInt(`0x${bytesToHex(b)}`);

/** hash(R1, R2, A, C_): SHA-256 of the points' uncompressed hex, concatenated as text. */
export function hashE(...points: P[]): Uint8Array {
  return sha256(utf8ToBytes(points.map((p) => bytesToHex(p.toBytes(false))).join('')));
}

/** r = HMAC-SHA256(a, tag ‖ A ‖ B_ ‖ C_ ‖ ctr), the first counter giving 0 < r < n. */
export function dleqNonce(a: bigint, A: P, B_: P, C_: P): bigint {
  const key = Uint8Array.from(Buffer.from(scalarHex(a), 'hex'));
  const body = concatBytes(NONCE_TAG, A.toBytes(false), B_.toBytes(false), C_.toBytes(false));
  for (let ctr = 0; ctr < 256; ctr++) {
    const r = toBig(hmac(sha256, key, concatBytes(body, new Uint8Array([ctr]))));
    if (r > 0n && r < n) return r;
  }
  throw new Error('no DLEQ nonce in 256 tries');
}

export interface Dleq { e: string; s: string }

/** The mint's proof for C_ = a·B_ (A = a·G). */
export function proveDleq(a: bigint, A: P, B_: P, C_: P): Dleq {
  const r = dleqNonce(a, A, B_, C_);
  const e = hashE(Point.BASE.multiply(r), B_.multiply(r), A, C_);
  const s = mod(r + toBig(e) * a);
  return { e: bytesToHex(e), s: scalarHex(s) };
}

/** Checks e == hash(s·G − e·A, s·B_ − e·C_, A, C_). */
export function verifyDleq(d: Dleq, A: P, B_: P, C_: P): boolean {
  const e = BigInt(`0x${d.e}`);
  const s = BigInt(`0x${d.s}`);
  if (e <= 0n || e >= n || s <= 0n || s >= n) return false;
  const R1 = Point.BASE.multiply(s).subtract(A.multiply(e));
  const R2 = B_.multiply(s).subtract(C_.multiply(e));
  return bytesToHex(hashE(R1, R2, A, C_)) === d.e;
}
