// NIP-17 private direct messages: kind-14 rumors, sealed and gift-wrapped (NIP-59).
import * as nip17 from 'nostr-tools/nip17';
import { PrivateDirectMessage } from 'nostr-tools/kinds';
import type { NostrEvent } from 'nostr-tools/pure';
import { GiftWrapError, unwrapGiftWrap, type Unwrapped } from './nip59.ts';

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
  return nip17.wrapEvent(
    senderKey,
    { publicKey: recipient, relayUrl: opts.relayHint },
    text,
    opts.subject,
    opts.replyTo ? { eventId: opts.replyTo } : undefined,
  );
}
