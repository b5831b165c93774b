// NUT-00: blind Diffie-Hellman key exchange (BDHKE). The mint signs blinded messages
// (C_ = k·B_) and verifies proofs (C == k·hash_to_curve(secret)); the wallet side (blind,
// unblind) is here too for tests and the DM bot's own outputs.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export const Point = secp256k1.Point;
export type Point = InstanceType<typeof secp256k1.Point>;
export const CURVE_ORDER = Point.Fn.ORDER;

const DOMAIN_SEPARATOR = utf8ToBytes('Secp256k1_HashToCurve_Cashu_');

/** hash_to_curve: the first counter (u32 little endian) whose `02 ‖ sha256(h ‖ counter)` is a point. */
export function hashToCurve(message: Uint8Array): Point {
  const msgHash = sha256(concatBytes(DOMAIN_SEPARATOR, message));
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let i = 0; i < 2 ** 16; i++) {
    view.setUint32(0, i, true);
    try {
      return Point.fromBytes(concatBytes(new Uint8Array([2]), sha256(concatBytes(msgHash, counter))));
    } catch {
      // not on the curve: next counter
    }
  }
  throw new Error('hash_to_curve found no point');
}

/** Y of a proof's secret (the secret string's UTF-8 bytes), as the compressed hex the mint stores. */
export const secretY = (secret: string): Point => hashToCurve(utf8ToBytes(secret));

export const pointFromHex = (hex: string): Point => Point.fromBytes(hexToBytes(hex));
export const pointHex = (p: Point): string => bytesToHex(p.toBytes(true));
export const scalarFromHex = (hex: string): bigint => BigInt(`0x${hex}`);
export const scalarHex = (k: bigint): string => k.toString(16).padStart(64, '0');

/** The mint's blind signature C_ = k·B_. */
export const signBlinded = (k: bigint, B_: Point): Point => B_.multiply(k);

/** Whether C signs the secret under k. */
export const verifyProof = (k: bigint, secret: string, C: Point): boolean => secretY(secret).multiply(k).equals(C);

/** Wallet: B_ = Y + r·G. */
export const blindMessage = (secret: Uint8Array, r: bigint): Point => hashToCurve(secret).add(Point.BASE.multiply(r));

/** Wallet: C = C_ − r·K. */
export const unblind = (C_: Point, r: bigint, K: Point): Point => C_.subtract(K.multiply(r));
