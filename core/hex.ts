// 32-byte values (keys, event ids, payment hashes, preimages) as Nostr and Lightning write them
// on the wire: 64 lower-case hex characters. One definition, so every boundary agrees.
import { z } from 'zod';

export const HEX32 = /^[0-9a-f]{64}$/;
export const hex32 = z.string().regex(HEX32, 'must be 32 bytes of lower-case hex');
