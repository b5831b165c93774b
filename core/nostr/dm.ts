// Direct messages in either scheme: NIP-04 (kind 4) and NIP-17 (gift-wrapped kind 14).
// A bot answers in the scheme it was spoken to, so old and new clients both get replies.
import { EncryptedDirectMessage, GiftWrap, PrivateDirectMessage } from 'nostr-tools/kinds';
import type { NostrEvent } from 'nostr-tools/pure';
import { CodedError } from '../errors.ts';
import { nowSeconds, tagValues } from './event.ts';
import type { EventTemplate, VerifiedEvent } from 'nostr-tools/pure';
import { unwrapPrivateDm, wrapPrivateDm } from './nip17.ts';
import { createRumor, giftWrap, GiftWrapError, MAX_WRAP_CONTENT, sealTemplate, unwrapGiftWrapVia, type GiftWrapErrorCode } from './nip59.ts';
import { nip04Decrypt, nip04Encrypt } from './nip04.ts';
import { finalizeEvent, publicKeyOf, verifyEvent } from './secp.ts';
import { nip04Key } from './shared-keys.ts';

export type DmScheme = 'nip04' | 'nip17';

export class DmError extends CodedError<GiftWrapErrorCode | 'unsupported-kind'> {
  override name = 'DmError';
}

export interface IncomingDm {
  scheme: DmScheme;
  /** Verified author (event signer for NIP-04, seal signer for NIP-17). */
  sender: string;
  text: string;
  /** What a reply refers to: the kind-4 event id, or the kind-14 rumor id. */
  id: string;
  /** As the author stated it (NIP-17 wraps and seals carry randomised times; the rumor does not). */
  createdAt: number;
  /** The event as received (kind 4 or 1059), e.g. for idempotency by `event.id`. */
  event: NostrEvent;
}

/** The scheme to answer a message of this kind in: NIP-04 to NIP-04, NIP-17 to NIP-17. */
export function replyScheme(kind: number): DmScheme {
  if (kind === EncryptedDirectMessage) return 'nip04';
  if (kind === GiftWrap || kind === PrivateDirectMessage) return 'nip17';
  throw new DmError('unsupported-kind', `kind ${kind} is not a direct message`);
}

function checkNip04(event: NostrEvent, pubkey: string): void {
  if (!verifyEvent(event)) throw new DmError('bad-signature', 'event signature is invalid');
  if (!tagValues(event, 'p').includes(pubkey)) throw new DmError('not-for-us', 'message is addressed to someone else');
  if (event.content.length > MAX_WRAP_CONTENT) throw new DmError('too-large', 'message too large');
}

function openNip04(event: NostrEvent, secretKey: Uint8Array): IncomingDm {
  checkNip04(event, publicKeyOf(secretKey));
  let text: string;
  try {
    text = nip04Decrypt(nip04Key(secretKey, event.pubkey), event.content);
  } catch (err) {
    throw new DmError('undecryptable', `message does not decrypt: ${(err as Error).message}`);
  }
  return { scheme: 'nip04', sender: event.pubkey, text, id: event.id, createdAt: event.created_at, event };
}

function openNip17(event: NostrEvent, secretKey: Uint8Array): IncomingDm {
  try {
    const { sender, rumor } = unwrapPrivateDm(event, secretKey);
    return { scheme: 'nip17', sender, text: rumor.content, id: rumor.id, createdAt: rumor.created_at, event };
  } catch (err) {
    if (err instanceof GiftWrapError) throw new DmError(err.code, err.message);
    throw err;
  }
}

/** Decrypts and authenticates a kind-4 or kind-1059 event addressed to us; throws DmError. */
export function openDm(event: NostrEvent, secretKey: Uint8Array): IncomingDm {
  return replyScheme(event.kind) === 'nip04' ? openNip04(event, secretKey) : openNip17(event, secretKey);
}

/** An encrypted DM in `scheme` from `senderKey` to `recipient`, ready to publish. */
export function createDm(scheme: DmScheme, senderKey: Uint8Array, recipient: string, text: string, replyTo?: string): NostrEvent {
  if (scheme === 'nip17') return wrapPrivateDm(senderKey, recipient, text, { replyTo });
  const tags = [['p', recipient], ...(replyTo ? [['e', replyTo, '', 'reply']] : [])];
  return finalizeEvent({ kind: EncryptedDirectMessage, created_at: nowSeconds(), tags, content: nip04Encrypt(nip04Key(senderKey, recipient), text) }, senderKey);
}

/** The reply to `incoming`, in the scheme it came in. */
export function replyTo(incoming: IncomingDm, senderKey: Uint8Array, text: string): NostrEvent {
  return createDm(incoming.scheme, senderKey, incoming.sender, text, incoming.id);
}

/** What a key held elsewhere (a NIP-46 signer) does for us; `refused` tells its refusals from its absence. */
export interface RemoteKey {
  pubkey: string;
  sign(template: EventTemplate): Promise<VerifiedEvent>;
  encrypt(peer: string, text: string, scheme: 'nip04' | 'nip44'): Promise<string>;
  decrypt(peer: string, content: string, scheme: 'nip04' | 'nip44'): Promise<string>;
  refused(err: unknown): boolean;
}

/** `openDm` with the key held by `remote`: the same checks, decryption by the signer. */
export async function openDmVia(event: NostrEvent, remote: RemoteKey): Promise<IncomingDm> {
  if (replyScheme(event.kind) === 'nip04') {
    checkNip04(event, remote.pubkey);
    let text: string;
    try {
      text = await remote.decrypt(event.pubkey, event.content, 'nip04');
    } catch (err) {
      if (!remote.refused(err)) throw err;
      throw new DmError('undecryptable', `message does not decrypt: ${(err as Error).message}`);
    }
    return { scheme: 'nip04', sender: event.pubkey, text, id: event.id, createdAt: event.created_at, event };
  }
  try {
    const { sender, rumor } = await unwrapGiftWrapVia(event, remote.pubkey, (peer, content) => remote.decrypt(peer, content, 'nip44'), remote.refused);
    if (rumor.kind !== PrivateDirectMessage) throw new DmError('malformed', `rumor kind ${rumor.kind} is not a private DM (${PrivateDirectMessage})`);
    return { scheme: 'nip17', sender, text: rumor.content, id: rumor.id, createdAt: rumor.created_at, event };
  } catch (err) {
    if (err instanceof GiftWrapError) throw new DmError(err.code, err.message);
    throw err;
  }
}

/** `createDm` with the key held by `remote`: it encrypts and signs; NIP-17's outer wrap is ours (an ephemeral key). */
export async function createDmVia(scheme: DmScheme, remote: RemoteKey, recipient: string, text: string, replyTo?: string): Promise<NostrEvent> {
  const tags = [['p', recipient], ...(replyTo ? [['e', replyTo, '', 'reply']] : [])];
  if (scheme === 'nip04') {
    return remote.sign({ kind: EncryptedDirectMessage, created_at: nowSeconds(), tags, content: await remote.encrypt(recipient, text, 'nip04') });
  }
  const rumor = createRumor({ kind: PrivateDirectMessage, created_at: nowSeconds(), tags, content: text }, remote.pubkey);
  const seal = await remote.sign(sealTemplate(await remote.encrypt(recipient, JSON.stringify(rumor), 'nip44')));
  return giftWrap(seal, recipient);
}
