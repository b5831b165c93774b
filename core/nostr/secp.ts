// Event signatures through libsecp256k1 compiled to WASM (nostr-wasm), several times faster
// than nostr-tools' pure-JS noble maths: the bots verify every event they receive and sign
// every reply, and that was most of their CPU under load.
import { initNostrWasm } from 'nostr-wasm';
import { setNostrWasm, finalizeEvent as wasmFinalize, verifyEvent as wasmVerify } from 'nostr-tools/wasm';
import type { EventTemplate, NostrEvent, VerifiedEvent } from 'nostr-tools/pure';

/** The one libsecp256k1 instance of this thread (the relay's verify.ts checks with it too). */
export const nostrWasm = await initNostrWasm();
setNostrWasm(nostrWasm);

/**
 * Events (objects) that passed, so a check at the door (the relay pool) is not redone further
 * in (opening a DM), as nostr-tools remembers it too. Received events are never mutated.
 */
const verified = new WeakSet<NostrEvent>();

/** True when the id is the event's hash and the BIP-340 signature is the author's. */
export function verifyEvent(event: NostrEvent): event is VerifiedEvent {
  if (verified.has(event)) return true;
  if (!wasmVerify(event)) return false;
  verified.add(event);
  return true;
}

/**
 * Takes an event as verified without the maths: only for events from a relay that verified it
 * itself (our own relay checks every event before it stores or forwards it).
 */
export function trustVerified(event: NostrEvent): event is VerifiedEvent {
  verified.add(event);
  return true;
}

/** Fills in pubkey, id and signature (a new object: the template is left alone). */
export function finalizeEvent(template: EventTemplate, secretKey: Uint8Array): VerifiedEvent {
  return wasmFinalize({ ...template, tags: template.tags }, secretKey);
}
