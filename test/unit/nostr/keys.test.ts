import { bytesToHex } from '@noble/hashes/utils.js';
import * as nip19 from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { keyPair, KeyError, parsePubkey, parseSecretKey } from '../../../core/nostr/keys.ts';

const sk = generateSecretKey();
const pk = getPublicKey(sk);

describe('parsePubkey', () => {
  it('accepts npub, nprofile, hex in any case, with or without nostr:', () => {
    for (const input of [nip19.npubEncode(pk), nip19.nprofileEncode({ pubkey: pk, relays: ['wss://r.example'] }), pk, pk.toUpperCase(),
      `nostr:${nip19.npubEncode(pk)}`, `  ${nip19.npubEncode(pk).toUpperCase()} `]) {
      expect(parsePubkey(input)).toBe(pk);
    }
  });

  it.each([
    ['', /not a public key/],
    ['alice', /not a public key/],
    ['abcd', /64 characters, this one has 4/],
    [nip19.nsecEncode(sk), /secret key \(nsec\)/],
    [nip19.npubEncode(pk).slice(0, -1) + (nip19.npubEncode(pk).endsWith('q') ? 'p' : 'q'), /not valid bech32/],
    [nip19.noteEncode(pk), /not a public key/],
    ['f'.repeat(64), /not a point on secp256k1/],
  ])('rejects %j with a clear reason', (input, reason) => {
    expect(() => parsePubkey(input)).toThrow(KeyError);
    expect(() => parsePubkey(input)).toThrow(reason);
  });
});

describe('parseSecretKey', () => {
  it('accepts nsec and hex', () => {
    expect(bytesToHex(parseSecretKey(nip19.nsecEncode(sk)))).toBe(bytesToHex(sk));
    expect(bytesToHex(parseSecretKey(bytesToHex(sk)))).toBe(bytesToHex(sk));
  });

  it('rejects other input without echoing it', () => {
    for (const bad of ['0'.repeat(64), nip19.npubEncode(pk), 'nsec1qqqq', 'xyz123']) {
      expect(() => parseSecretKey(bad)).toThrow(KeyError);
      try { parseSecretKey(bad); } catch (err) { expect((err as Error).message).not.toContain(bad); }
    }
  });

  it('gives a key pair whose signer signs as its pubkey', async () => {
    const kp = keyPair(sk);
    expect(kp.pubkey).toBe(pk);
    expect(kp.npub).toBe(nip19.npubEncode(pk));
    const signed = await kp.signer.signEvent({ kind: 1, tags: [], content: 'x', created_at: 1 });
    expect(signed.pubkey).toBe(pk);
  });
});
