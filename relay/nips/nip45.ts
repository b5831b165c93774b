// NIP-45 COUNT with HyperLogLog: for a filter with a tag attribute, 256 registers fed with
// the pubkeys of the counted events at the filter's deterministic offset, hex-encoded, so
// clients can merge counts from several relays. The register maths is nostr-tools'.
import { computeOffset, feedPubkey, hllEncode, newHll } from 'nostr-tools/nip45';
import type { Filter } from '../types.ts';

/** The first value of the first tag attribute, which decides the offset; undefined: no HLL. */
export const hllSeed = (f: Filter) => f.tags?.[0]?.[1][0];

export function hllOf(seed: string, pubkeys: Iterable<string>): string {
  const offset = computeOffset(seed);
  const hll = newHll();
  for (const pk of pubkeys) feedPubkey(hll, pk, offset);
  return hllEncode(hll);
}
