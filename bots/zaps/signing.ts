// Zap requests and receipts are signed and checked through libsecp256k1 compiled to WASM
// (nostr-wasm): several times faster than pure-JS BIP-340, and a business batch signs one
// zap request per line, the zapper one receipt per paid zap, the callback checks each request.
// The checks go to the library directly: nostr-tools' wrappers remember a verdict on the
// event object, which a copy of an altered event would carry along.
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';
import { nostrWasm as wasm } from '../../core/nostr/secp.ts';

/** Fills in pubkey, id and sig of `template` signed with `secretKey`. */
export function signEvent(template: EventTemplate, secretKey: Uint8Array): NostrEvent {
  const event = { ...template, pubkey: '', id: '', sig: '' };
  wasm.finalizeEvent(event, secretKey);
  return event;
}

/** True when the id is the event's hash and the signature is its author's (of an event shaped as eventSchema says). */
export function verifySignature(event: NostrEvent): boolean {
  try {
    wasm.verifyEvent(event);
    return true;
  } catch {
    return false;
  }
}
