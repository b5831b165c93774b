// 32-byte values (keys, event ids, payment hashes, preimages) and 64-byte signatures as Nostr
// and Lightning write them on the wire: lower-case hex. One definition, so every boundary agrees.
import { z } from 'zod';

export const HEX32 = /^[0-9a-f]{64}$/;
export const hex32 = z.string().regex(HEX32, 'must be 32 bytes of lower-case hex');

/** A BIP-340 signature: 64 bytes, 128 lower-case hex characters. */
export const HEX64 = /^[0-9a-f]{128}$/;
