// Withdrawal fees: a quote (what one payout would cost alone, doubled to leave room for a
// fee bump) reserved with the payment, and each payout's exact share of its batch's fee.

/** Confirmation targets (blocks) of the three speeds. */
export const speedTargets = { fast: 1, normal: 6, slow: 24 } as const;
export type Speed = keyof typeof speedTargets;

/** A lone payout's transaction besides its own output: version, counts, locktime, one P2WPKH input, a change output. */
export const SOLO_OVERHEAD_VBYTES = 11 + 68 + 31;

/** What a withdrawal reserves for its fee: a lone payout at `satPerVb`, twice (one RBF bump's room). */
export function feeReserveSat(satPerVb: number, outputVbytes: number, minSat: bigint): bigint {
  const quote = BigInt(Math.ceil(satPerVb * (outputVbytes + SOLO_OVERHEAD_VBYTES)));
  return quote * 2n > minSat ? quote * 2n : minSat;
}

/**
 * Splits a batch's fee among its payouts by the size of each one's output: shares proportional
 * to `vbytes`, rounded down, the remaining millisatoshis to the largest remainders (earlier
 * payouts first on ties). The shares always sum to the fee exactly.
 */
export function feeShares(feeMsat: bigint, vbytes: number[]): bigint[] {
  const total = BigInt(vbytes.reduce((s, v) => s + v, 0));
  if (total === 0n) return vbytes.map(() => 0n);
  const exact = vbytes.map((v) => feeMsat * BigInt(v));
  const shares = exact.map((e) => e / total);
  let left = feeMsat - shares.reduce((s, x) => s + x, 0n);
  const order = exact.map((e, i) => ({ i, r: e % total })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares;
}
