// NIP-59 gift wraps: unwrap with every check the spec implies, so that what comes out has a
// sender we can trust. nostr-tools does the NIP-44 crypto; it neither returns the seal nor
// checks the wrap, the recipient or the rumor id, hence this module.
import * as nip44 from 'nostr-tools/nip44';
import { GiftWrap, Seal } from 'nostr-tools/kinds';
import { getEventHash, getPublicKey, verifyEvent, type NostrEvent } from 'nostr-tools/pure';
import { CodedError } from '../errors.ts';
import { eventSchema, rumorSchema, tagValues, type Rumor } from './event.ts';

/** Largest wrap content we decrypt (a DM of a few KiB wraps to ~4× its size). */
export const MAX_WRAP_CONTENT = 256 * 1024;

export type GiftWrapErrorCode =
  | 'not-gift-wrap' | 'bad-signature' | 'not-for-us' | 'too-large' | 'undecryptable'
  | 'malformed' | 'forged-seal' | 'bad-rumor-id';

export class GiftWrapError extends CodedError<GiftWrapErrorCode> {
  override name = 'GiftWrapError';
}

export interface Unwrapped {
  /** Who wrote the rumor: the seal's signer, equal to the rumor's pubkey. */
  sender: string;
  rumor: Rumor;
  seal: NostrEvent;
  wrap: NostrEvent;
}

function decryptJson(content: string, secretKey: Uint8Array, pubkey: string, what: string): unknown {
  if (content.length > MAX_WRAP_CONTENT) throw new GiftWrapError('too-large', `${what} content over ${MAX_WRAP_CONTENT} bytes`);
  let plain: string;
  try {
    plain = nip44.decrypt(content, nip44.getConversationKey(secretKey, pubkey));
  } catch (err) {
    throw new GiftWrapError('undecryptable', `${what} does not decrypt: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(plain);
  } catch {
    throw new GiftWrapError('malformed', `${what} is not JSON`);
  }
}

/** Opens a kind-1059 wrap addressed to `secretKey`'s owner; throws GiftWrapError on anything off. */
export function unwrapGiftWrap(wrap: NostrEvent, secretKey: Uint8Array): Unwrapped {
  if (wrap.kind !== GiftWrap) throw new GiftWrapError('not-gift-wrap', `kind ${wrap.kind} is not a gift wrap`);
  if (!verifyEvent(wrap)) throw new GiftWrapError('bad-signature', 'gift wrap signature is invalid');
  if (!tagValues(wrap, 'p').includes(getPublicKey(secretKey))) throw new GiftWrapError('not-for-us', 'gift wrap is addressed to someone else');

  const parsedSeal = eventSchema.safeParse(decryptJson(wrap.content, secretKey, wrap.pubkey, 'gift wrap'));
  if (!parsedSeal.success) throw new GiftWrapError('malformed', 'seal is not an event');
  const seal: NostrEvent = parsedSeal.data;
  if (seal.kind !== Seal) throw new GiftWrapError('malformed', `seal has kind ${seal.kind}, expected ${Seal}`);
  if (seal.tags.length) throw new GiftWrapError('malformed', 'seal tags must be empty');
  if (!verifyEvent(seal)) throw new GiftWrapError('bad-signature', 'seal signature is invalid');

  const parsedRumor = rumorSchema.safeParse(decryptJson(seal.content, secretKey, seal.pubkey, 'seal'));
  if (!parsedRumor.success) throw new GiftWrapError('malformed', 'rumor is not an unsigned event');
  const rumor = parsedRumor.data;
  if (rumor.pubkey !== seal.pubkey) throw new GiftWrapError('forged-seal', 'rumor author differs from the seal signer');
  if (getEventHash(rumor) !== rumor.id) throw new GiftWrapError('bad-rumor-id', 'rumor id does not match its content');
  return { sender: seal.pubkey, rumor, seal, wrap };
}
