// The shape of a Nostr event as it arrives from outside (relays, decrypted payloads).
import { z } from 'zod';
import type { NostrEvent } from 'nostr-tools/pure';
import { HEX64, hex32 } from '../hex.ts';


const unsignedEventSchema = z.object({
  pubkey: hex32,
  created_at: z.number().int().nonnegative(),
  kind: z.number().int().min(0).max(65535),
  tags: z.array(z.array(z.string())),
  content: z.string(),
});

/** A rumor (NIP-59): an event with an id and no signature. */
export const rumorSchema = unsignedEventSchema.extend({ id: hex32 });

export const eventSchema = rumorSchema.extend({ sig: z.string().regex(HEX64) }) satisfies z.ZodType<NostrEvent>;

export type Rumor = z.infer<typeof rumorSchema>;

/** Values of the tags named `name` (their first element after the name). */
export const tagValues = (event: { tags: string[][] }, name: string): string[] =>
  event.tags.filter((t) => t[0] === name && t[1] !== undefined).map((t) => t[1]!);

export const nowSeconds = () => Math.floor(Date.now() / 1000);
