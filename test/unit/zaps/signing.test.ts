// WASM signing and checking agree with nostr-tools' pure-JS BIP-340 both ways, and refuse
// a changed id, content or signature.
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { signEvent, verifySignature } from '../../../bots/zaps/signing.ts';

const template = () => ({ kind: 9734, created_at: 1_700_000_000, tags: [['p', 'ab'.repeat(32)], ['relays', 'wss://r.example']], content: 'zap "quoted" ünïcode\n' });

describe('zap event signing (nostr-wasm)', () => {
  it('signs events nostr-tools accepts, with the key’s pubkey', () => {
    const sk = generateSecretKey();
    const event = signEvent(template(), sk);
    expect(event.pubkey).toBe(getPublicKey(sk));
    expect(verifyEvent(structuredClone(event))).toBe(true);
  });

  it('accepts events nostr-tools signed and refuses altered ones', () => {
    const event = finalizeEvent(template(), generateSecretKey());
    const plain = structuredClone(event);
    expect(verifySignature(plain)).toBe(true);
    expect(verifySignature({ ...plain, content: 'changed' })).toBe(false);
    expect(verifySignature({ ...plain, sig: 'ff'.repeat(64) })).toBe(false);
    expect(verifySignature({ ...plain, id: '00'.repeat(32) })).toBe(false);
    expect(verifySignature({ ...plain, pubkey: getPublicKey(generateSecretKey()) })).toBe(false);
  });
});
