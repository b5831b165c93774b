// NUT-12: discrete-log equality proofs. The mint proves that C_ = a·B_ uses the same a as its
// public key A = a·G, with a deterministic nonce (HMAC of a over the points), so an RNG fault
// can never reuse a nonce and leak a key.
import { createHash, createHmac } from 'node:crypto';
import { baseMul, CURVE_ORDER, mul, scalarHex, sub, uncompressed, type Point } from './nut00.ts';

const NONCE_TAG = Buffer.from('Cashu_DLEQ_R_v1');
const n = CURVE_ORDER;

/** hash(R1, R2, A, C_): SHA-256 of the points' uncompressed hex, concatenated as text. */
export function hashE(...points: Point[]): Buffer {
  return createHash('sha256').update(points.map((p) => uncompressed(p).toString('hex')).join('')).digest();
}

/** r = HMAC-SHA256(a, tag ‖ A ‖ B_ ‖ C_ ‖ ctr), the first counter giving 0 < r < n. */
export function dleqNonce(a: bigint, A: Point, B_: Point, C_: Point): bigint {
  const key = Buffer.from(scalarHex(a), 'hex');
  const body = Buffer.concat([NONCE_TAG, uncompressed(A), uncompressed(B_), uncompressed(C_)]);
  for (let ctr = 0; ctr < 256; ctr++) {
    const r = BigInt(`0x${createHmac('sha256', key).update(body).update(Buffer.from([ctr])).digest('hex')}`);
    if (r > 0n && r < n) return r;
  }
  throw new Error('no DLEQ nonce in 256 tries');
}

export interface Dleq { e: string; s: string }

/** The mint's proof for C_ = a·B_ (A = a·G). */
export function proveDleq(a: bigint, A: Point, B_: Point, C_: Point): Dleq {
  const r = dleqNonce(a, A, B_, C_);
  const e = hashE(baseMul(r), mul(B_, r), A, C_);
  const s = (r + BigInt(`0x${e.toString('hex')}`) * a) % n;
  return { e: e.toString('hex'), s: scalarHex(s) };
}

/** Checks e == hash(s·G − e·A, s·B_ − e·C_, A, C_). */
export function verifyDleq(d: Dleq, A: Point, B_: Point, C_: Point): boolean {
  const e = BigInt(`0x${d.e}`);
  const s = BigInt(`0x${d.s}`);
  if (e <= 0n || e >= n || s <= 0n || s >= n) return false;
  try {
    const R1 = sub(baseMul(s), mul(A, e));
    const R2 = sub(mul(B_, s), mul(C_, e));
    return hashE(R1, R2, A, C_).toString('hex') === d.e;
  } catch {
    return false;
  }
}
