// Event id and BIP-340 signature checks through libsecp256k1 compiled to WASM (nostr-wasm):
// about six times faster than pure-JS verification, and the relay's hottest CPU path.
import { nostrWasm } from '../core/nostr/secp.ts';
import type { NostrEvent } from './types.ts';

/** Undefined when the id is the event's hash and the signature is the author's; else why not. */
export function verifyError(event: NostrEvent): string | undefined {
  try {
    nostrWasm.verifyEvent(event);
    return undefined;
  } catch (err) {
    const m = (err as Error).message;
    return m === 'id is invalid' ? 'event id does not match its content' : m === 'pubkey is invalid' ? 'pubkey is not a valid point' : 'bad signature';
  }
}
