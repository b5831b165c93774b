// Event signatures through libsecp256k1 compiled to WASM (nostr-wasm), several times faster
// than nostr-tools' pure-JS noble maths: the bots verify every event they receive and sign
// every reply, and that was most of their CPU under load.
import { initNostrWasm } from 'nostr-wasm';
import { setNostrWasm, finalizeEvent as wasmFinalize, verifyEvent as wasmVerify } from 'nostr-tools/wasm';
import type { EventTemplate, NostrEvent, VerifiedEvent } from 'nostr-tools/pure';

setNostrWasm(await initNostrWasm());

/** True when the id is the event's hash and the BIP-340 signature is the author's. */
export function verifyEvent(event: NostrEvent): event is VerifiedEvent {
  return wasmVerify(event);
}

/** Fills in pubkey, id and signature (a new object: the template is left alone). */
export function finalizeEvent(template: EventTemplate, secretKey: Uint8Array): VerifiedEvent {
  return wasmFinalize({ ...template, tags: template.tags }, secretKey);
}
