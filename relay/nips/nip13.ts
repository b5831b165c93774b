// NIP-13 proof of work: difficulty is the number of leading zero bits of the event id; a
// `nonce` tag's third element commits to a target, which must also reach the minimum.
import { getPow } from 'nostr-tools/nip13';
import type { NostrEvent } from '../types.ts';

/** Undefined when the event meets `min`; else the `pow:` reason. */
export function powError(e: NostrEvent, min: number): string | undefined {
  if (min <= 0) return undefined;
  const difficulty = getPow(e.id);
  if (difficulty < min) return `pow: difficulty ${difficulty} is less than ${min}`;
  const committed = e.tags.find((t) => t[0] === 'nonce')?.[2];
  if (committed !== undefined && Number(committed) < min) return `pow: committed target ${committed} is less than ${min}`;
  return undefined;
}
