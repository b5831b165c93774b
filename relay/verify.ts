// Event id and BIP-340 signature checks (core/nostr/secp.ts: native libsecp256k1 and
// SHA-256): the relay's hottest CPU path.
import { signatureError } from '../core/nostr/secp.ts';
import type { NostrEvent } from './types.ts';

const reasons = { 'bad-id': 'event id does not match its content', 'bad-pubkey': 'pubkey is not a valid point', 'bad-signature': 'bad signature' } as const;

/** Undefined when the id is the event's hash and the signature is the author's; else why not. */
export function verifyError(event: NostrEvent): string | undefined {
  const error = signatureError(event);
  return error && reasons[error];
}
