// NIP-59 gift wraps: unwrap with every check the spec implies, so that what comes out has a
// sender we can trust, and wrap. nostr-tools' nip59 neither returns the seal nor checks the
// wrap, the recipient or the rumor id, and it signs and encrypts in pure JS and redoes every
// ECDH; here signatures and ECDH go through native libsecp256k1 (secp.ts, ecdh.ts), NIP-44
// through native crypto (nip44.ts), and the seal layer (sender <-> us) uses the cached
// conversation key. The wrap layer has a fresh ephemeral key each time, so it is
// never cached.
import { GiftWrap, Seal } from 'nostr-tools/kinds';
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';
import { CodedError } from '../errors.ts';
import { ephemeralConversation, nip44ConversationKey } from './ecdh.ts';
import { nip44Decrypt, nip44Encrypt } from './nip44.ts';
import { eventSchema, nowSeconds, rumorSchema, tagValues, type Rumor } from './event.ts';
import { eventHash, finalizeEvent, publicKeyOf, verifyEvent } from './secp.ts';
import { conversationKey } from './shared-keys.ts';

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

function checkSize(content: string, what: string): void {
  if (content.length > MAX_WRAP_CONTENT) throw new GiftWrapError('too-large', `${what} content over ${MAX_WRAP_CONTENT} bytes`);
}

const undecryptable = (what: string, err: unknown) => new GiftWrapError('undecryptable', `${what} does not decrypt: ${(err as Error).message}`);

function parseJson(plain: string, what: string): unknown {
  try {
    return JSON.parse(plain);
  } catch {
    throw new GiftWrapError('malformed', `${what} is not JSON`);
  }
}

function decryptJson(content: string, key: () => Uint8Array, what: string): unknown {
  checkSize(content, what);
  let plain: string;
  try {
    plain = nip44Decrypt(content, key());
  } catch (err) {
    throw undecryptable(what, err);
  }
  return parseJson(plain, what);
}

function checkWrap(wrap: NostrEvent, pubkey: string): void {
  if (wrap.kind !== GiftWrap) throw new GiftWrapError('not-gift-wrap', `kind ${wrap.kind} is not a gift wrap`);
  if (!verifyEvent(wrap)) throw new GiftWrapError('bad-signature', 'gift wrap signature is invalid');
  if (!tagValues(wrap, 'p').includes(pubkey)) throw new GiftWrapError('not-for-us', 'gift wrap is addressed to someone else');
}

function sealOf(value: unknown): NostrEvent {
  const parsedSeal = eventSchema.safeParse(value);
  if (!parsedSeal.success) throw new GiftWrapError('malformed', 'seal is not an event');
  const seal: NostrEvent = parsedSeal.data;
  if (seal.kind !== Seal) throw new GiftWrapError('malformed', `seal has kind ${seal.kind}, expected ${Seal}`);
  if (seal.tags.length) throw new GiftWrapError('malformed', 'seal tags must be empty');
  if (!verifyEvent(seal)) throw new GiftWrapError('bad-signature', 'seal signature is invalid');
  return seal;
}

function rumorOf(value: unknown, seal: NostrEvent): Rumor {
  const parsedRumor = rumorSchema.safeParse(value);
  if (!parsedRumor.success) throw new GiftWrapError('malformed', 'rumor is not an unsigned event');
  const rumor = parsedRumor.data;
  if (rumor.pubkey !== seal.pubkey) throw new GiftWrapError('forged-seal', 'rumor author differs from the seal signer');
  if (eventHash(rumor) !== rumor.id) throw new GiftWrapError('bad-rumor-id', 'rumor id does not match its content');
  return rumor;
}

/** Opens a kind-1059 wrap addressed to `secretKey`'s owner; throws GiftWrapError on anything off. */
export function unwrapGiftWrap(wrap: NostrEvent, secretKey: Uint8Array): Unwrapped {
  checkWrap(wrap, publicKeyOf(secretKey));
  const seal = sealOf(decryptJson(wrap.content, () => nip44ConversationKey(secretKey, wrap.pubkey), 'gift wrap'));
  const rumor = rumorOf(decryptJson(seal.content, () => conversationKey(secretKey, seal.pubkey), 'seal'), seal);
  return { sender: seal.pubkey, rumor, seal, wrap };
}

/** NIP-44 decryption done by whoever holds the key (a NIP-46 signer): the plaintext from `peer`. */
export type RemoteDecrypt = (peer: string, content: string) => Promise<string>;

/**
 * `unwrapGiftWrap` for a key held elsewhere, with the same checks. Only the signer's own
 * refusal to decrypt reads as `undecryptable`; a signer that cannot be reached throws its own error.
 */
export async function unwrapGiftWrapVia(wrap: NostrEvent, pubkey: string, decrypt: RemoteDecrypt, refused: (err: unknown) => boolean): Promise<Unwrapped> {
  checkWrap(wrap, pubkey);
  const open = async (peer: string, content: string, what: string) => {
    checkSize(content, what);
    try {
      return parseJson(await decrypt(peer, content), what);
    } catch (err) {
      throw refused(err) ? undecryptable(what, err) : err;
    }
  };
  const seal = sealOf(await open(wrap.pubkey, wrap.content, 'gift wrap'));
  const rumor = rumorOf(await open(seal.pubkey, seal.content, 'seal'), seal);
  return { sender: seal.pubkey, rumor, seal, wrap };
}

const TWO_DAYS = 2 * 24 * 60 * 60;
/** Seal and wrap times are randomised up to two days back so they reveal nothing (NIP-59). */
const randomPast = () => nowSeconds() - Math.floor(Math.random() * TWO_DAYS);

/** The rumor (unsigned, with id) of `template` by `author` (a secret key's owner, or a pubkey). */
export function createRumor(template: EventTemplate, author: Uint8Array | string): Rumor {
  const unsigned = { ...template, pubkey: typeof author === 'string' ? author : publicKeyOf(author) };
  return { ...unsigned, id: eventHash(unsigned) };
}

/** Seals `rumor` for `recipient` and gift-wraps it under a fresh ephemeral key. */
export function wrapRumor(rumor: Rumor, senderKey: Uint8Array, recipient: string): NostrEvent {
  const seal = finalizeEvent(sealTemplate(nip44Encrypt(JSON.stringify(rumor), conversationKey(senderKey, recipient))), senderKey);
  return giftWrap(seal, recipient);
}

/** The kind-13 seal around a rumor already encrypted to the recipient. */
export function sealTemplate(encryptedRumor: string): EventTemplate {
  return { kind: Seal, created_at: randomPast(), tags: [], content: encryptedRumor };
}

/** Wraps a signed seal for `recipient` under a fresh ephemeral key. */
export function giftWrap(seal: NostrEvent, recipient: string): NostrEvent {
  const ephemeral = ephemeralConversation(recipient);
  return finalizeEvent({
    kind: GiftWrap, created_at: randomPast(), tags: [['p', recipient]],
    content: nip44Encrypt(JSON.stringify(seal), ephemeral.conversationKey),
  }, ephemeral.secretKey);
}
