// NIP-17 private direct messages: kind-14 rumors, sealed and gift-wrapped (NIP-59).
import { PrivateDirectMessage } from 'nostr-tools/kinds';
import type { NostrEvent } from 'nostr-tools/pure';
import { nowSeconds } from './event.ts';
import { createRumor, GiftWrapError, unwrapGiftWrap, wrapRumor, type Unwrapped } from './nip59.ts';

/** Opens a gift-wrapped private DM; anything but a kind-14 rumor is refused. */
export function unwrapPrivateDm(wrap: NostrEvent, secretKey: Uint8Array): Unwrapped {
  const opened = unwrapGiftWrap(wrap, secretKey);
  if (opened.rumor.kind !== PrivateDirectMessage) {
    throw new GiftWrapError('malformed', `rumor kind ${opened.rumor.kind} is not a private DM (${PrivateDirectMessage})`);
  }
  return opened;
}

export interface PrivateDmOptions {
  /** Rumor id of the message answered (an `e` tag marked reply). */
  replyTo?: string;
  /** A relay where the recipient reads (hint in the `p` tag). */
  relayHint?: string;
  subject?: string;
}

/**
 * A kind-14 message from `senderKey` to `recipient`, sealed and wrapped for the recipient
 * only: bots keep no copy of their own replies.
 */
export function wrapPrivateDm(senderKey: Uint8Array, recipient: string, text: string, opts: PrivateDmOptions = {}): NostrEvent {
  const tags = [
    opts.relayHint ? ['p', recipient, opts.relayHint] : ['p', recipient],
    ...(opts.replyTo ? [['e', opts.replyTo, '', 'reply']] : []),
    ...(opts.subject ? [['subject', opts.subject]] : []),
  ];
  return wrapRumor(createRumor({ kind: PrivateDirectMessage, created_at: nowSeconds(), tags, content: text }, senderKey), senderKey, recipient);
}
