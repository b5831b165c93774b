// Zap requests and receipts are signed and checked through libsecp256k1 compiled to WASM
// (nostr-wasm): several times faster than pure-JS BIP-340, and a business batch signs one
// zap request per line, the zapper one receipt per paid zap, the callback checks each request.
import { initNostrWasm } from 'nostr-wasm';
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';

const wasm = await initNostrWasm();

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
