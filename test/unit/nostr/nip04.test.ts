import * as nip04 from 'nostr-tools/nip04';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { nip04Decrypt, nip04Encrypt, nip04SharedSecret } from '../../../core/nostr/nip04.ts';

const alice = generateSecretKey();
const bob = generateSecretKey();
const [alicePk, bobPk] = [getPublicKey(alice), getPublicKey(bob)];

describe('NIP-04 over a precomputed shared secret', () => {
  it('derives the same secret from either side', () => {
    expect(nip04SharedSecret(alice, bobPk)).toEqual(nip04SharedSecret(bob, alicePk));
  });

  it('interoperates with nostr-tools in both directions', () => {
    for (const text of ['pay lnbc1', '', 'ünïcødé ⚡ 🎉', 'x'.repeat(1000)]) {
      const ours = nip04Encrypt(nip04SharedSecret(alice, bobPk), text);
      expect(ours).toMatch(/^[A-Za-z0-9+/=]+\?iv=[A-Za-z0-9+/=]{24}$/);
      expect(nip04.decrypt(bob, alicePk, ours)).toBe(text);
      expect(nip04Decrypt(nip04SharedSecret(bob, alicePk), nip04.encrypt(alice, bobPk, text))).toBe(text);
    }
  });

  it('uses a fresh iv per message', () => {
    const key = nip04SharedSecret(alice, bobPk);
    expect(nip04Encrypt(key, 'same')).not.toBe(nip04Encrypt(key, 'same'));
  });

  it('refuses malformed payloads and the wrong key', () => {
    const key = nip04SharedSecret(bob, alicePk);
    const good = nip04.encrypt(alice, bobPk, 'hello world, long enough to span blocks');
    const [ct, iv] = good.split('?iv=');
    for (const bad of ['', 'abc', `${ct}`, `${ct}?iv=`, `?iv=${iv}`, `${ct}?iv=AAAA`, `${ct}?iv=${iv}?iv=${iv}`, `${ct}?iv=!!!`]) {
      expect(() => nip04Decrypt(key, bad), bad).toThrow();
    }
    const mallory = generateSecretKey();
    expect(() => nip04Decrypt(nip04SharedSecret(mallory, alicePk), good)).toThrow();
  });
});
