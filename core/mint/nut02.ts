// NUT-02: keyset ids (version 2, and reading version 1) and input fees.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** amount → compressed public key hex. */
export type PublicKeys = Record<string, string>;

const sortedAmounts = (keys: PublicKeys) => Object.keys(keys).map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** "01" ‖ sha256("amount:pubkey,…|unit:u[|input_fee_ppk:f][|final_expiry:t]"). */
export function keysetIdV2(keys: PublicKeys, unit: string, inputFeePpk = 0, finalExpiry?: number): string {
  let preimage = sortedAmounts(keys).map((a) => `${a}:${keys[a.toString()]!.toLowerCase()}`).join(',') + `|unit:${unit.toLowerCase()}`;
  if (inputFeePpk) preimage += `|input_fee_ppk:${inputFeePpk}`;
  if (finalExpiry) preimage += `|final_expiry:${finalExpiry}`;
  return `01${bytesToHex(sha256(utf8ToBytes(preimage)))}`;
}

/** "00" ‖ the first 14 hex characters of sha256(the public keys in amount order). */
export function keysetIdV1(keys: PublicKeys): string {
  return `00${bytesToHex(sha256(concatBytes(...sortedAmounts(keys).map((a) => hexToBytes(keys[a.toString()]!))))).slice(0, 14)}`;
}

/** The fee of spending inputs: the sum of each input's keyset fee (ppk), rounded up. */
export function inputFee(feesPpk: readonly number[]): bigint {
  const sum = feesPpk.reduce((s, f) => s + BigInt(f), 0n);
  return (sum + 999n) / 1000n;
}

/** An amount as powers of two, ascending (how change and tokens are split). */
export function splitAmount(amount: bigint): bigint[] {
  const parts: bigint[] = [];
  for (let bit = 1n; amount > 0n; bit <<= 1n) {
    if (amount & bit) {
      parts.push(bit);
      amount -= bit;
    }
  }
  return parts;
}
