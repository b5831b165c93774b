import { getConversationKey } from 'nostr-tools/nip44';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { ephemeralConversation, nip44ConversationKey, sharedX } from '../../../core/nostr/ecdh.ts';

describe('ECDH through libsecp256k1', () => {
  it('gives the conversation keys nostr-tools gives, from either side and for fresh keys', () => {
    for (let i = 0; i < 50; i++) {
      const [a, b] = [generateSecretKey(), generateSecretKey()];
      const [pa, pb] = [getPublicKey(a), getPublicKey(b)];
      expect(nip44ConversationKey(a, pb)).toEqual(getConversationKey(a, pb));
      expect(sharedX(a, pb)).toEqual(sharedX(b, pa));
      const e = ephemeralConversation(pb);
      expect(e.secretKey).toHaveLength(32);
      expect(e.conversationKey).toEqual(getConversationKey(e.secretKey, pb));
    }
  });

  it('refuses what is not a point on the curve', () => {
    const sk = generateSecretKey();
    for (const bad of ['00'.repeat(32), 'ff'.repeat(32), 'ab', '', 'xyz'.repeat(21) + 'x']) {
      expect(() => sharedX(sk, bad), bad).toThrow();
      expect(() => ephemeralConversation(bad), bad).toThrow();
    }
  });
});
