import fc from 'fast-check';
import * as nip44 from 'nostr-tools/nip44';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { nip44Decrypt, nip44Encrypt, paddedLength } from '../../../core/nostr/nip44.ts';

const key = nip44.v2.utils.getConversationKey(generateSecretKey(), getPublicKey(generateSecretKey()));
const otherKey = nip44.v2.utils.getConversationKey(generateSecretKey(), getPublicKey(generateSecretKey()));

describe('NIP-44 v2 over native crypto', () => {
  it('gives nostr-tools\' payload for the same nonce, and each opens the other\'s', () => {
    // Lengths around the padding steps, multi-byte text, and past the 16-bit length prefix.
    const texts = ['a', 'x'.repeat(32), 'x'.repeat(33), 'ünïcødé ⚡ 🎉', 'y'.repeat(256), 'y'.repeat(257), 'z'.repeat(65_535), 'z'.repeat(65_536), 'w'.repeat(200_000)];
    for (const text of texts) {
      const nonce = new Uint8Array(32).map((_, i) => i * 7);
      const ours = nip44Encrypt(text, key, nonce);
      expect(ours).toBe(nip44.v2.encrypt(text, key, nonce));
      expect(nip44.v2.decrypt(nip44Encrypt(text, key), key)).toBe(text);
      expect(nip44Decrypt(nip44.v2.encrypt(text, key), key)).toBe(text);
    }
  });

  it('agrees with nostr-tools on any text', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 600, unit: 'grapheme' }), (text) => {
      expect(nip44Decrypt(nip44.v2.encrypt(text, key), key)).toBe(text);
      expect(nip44.v2.decrypt(nip44Encrypt(text, key), key)).toBe(text);
    }), { numRuns: 200 });
  });

  it('pads as NIP-44 says', () => {
    for (let len = 1; len < 70_000; len += 97) expect(paddedLength(len)).toBe(nip44.v2.utils.calcPaddedLen(len));
  });

  it('refuses the wrong key, altered payloads, other versions, bad base64 and empty text', () => {
    const payload = nip44Encrypt('pay me', key);
    expect(() => nip44Decrypt(payload, otherKey)).toThrow(/MAC/);
    const bytes = Buffer.from(payload, 'base64');
    for (const at of [1, 40, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[at]! ^= 1;
      expect(() => nip44Decrypt(altered.toString('base64'), key)).toThrow(/MAC/);
    }
    const v1 = Buffer.from(bytes);
    v1[0] = 1;
    expect(() => nip44Decrypt(v1.toString('base64'), key)).toThrow(/version/);
    expect(() => nip44Decrypt(`#${payload.slice(1)}`, key)).toThrow(/version/);
    expect(() => nip44Decrypt(`${payload.slice(0, 50)}!${payload.slice(51)}`, key)).toThrow(/base64/);
    expect(() => nip44Decrypt(payload.slice(0, 100), key)).toThrow(/length/);
    expect(() => nip44Encrypt('', key)).toThrow(/size/);
  });
});
