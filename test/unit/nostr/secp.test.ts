import { getConversationKey } from 'nostr-tools/nip44';
import * as pure from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { eventHash, finalizeEvent, publicKeyOf, signatureError, signedByUs, verifyEvent } from '../../../core/nostr/secp.ts';
import { conversationKey, nip04Key } from '../../../core/nostr/shared-keys.ts';
import { nip04SharedSecret } from '../../../core/nostr/nip04.ts';
import { wire } from '../../support/nostr.ts';

const sk = pure.generateSecretKey();
const template = { kind: 1, created_at: 1_700_000_000, tags: [['p', 'a'.repeat(64)]], content: 'hello' };

describe('WASM signatures', () => {
  const awkward = { kind: 9734, created_at: 1_700_000_000, tags: [['relays', 'wss://r.example']], content: 'zap "quoted" ünïcode\n\t\\ 🎉 \u0001' };

  it('signs events nostr-tools accepts, and accepts what nostr-tools signs', () => {
    for (const t of [template, awkward]) {
      const ours = finalizeEvent(t, sk);
      expect(ours.pubkey).toBe(pure.getPublicKey(sk));
      expect(ours.id).toBe(pure.getEventHash(ours));
      expect(t).not.toHaveProperty('sig');
      expect(pure.verifyEvent(wire(ours))).toBe(true);
      expect(verifyEvent(wire(pure.finalizeEvent(t, sk)))).toBe(true);
    }
  });

  it('rejects a tampered signature, id, content, author or shape', () => {
    const good = pure.finalizeEvent(template, sk);
    const other = pure.getPublicKey(pure.generateSecretKey());
    const flip = (hex: string) => (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
    const bad = [
      { ...good, sig: flip(good.sig) },
      { ...good, sig: 'c'.repeat(128) },
      { ...good, id: flip(good.id) },
      { ...good, content: 'hellO' },
      { ...good, tags: [] },
      { ...good, pubkey: other },
      { ...good, pubkey: 'f'.repeat(64) },
      { ...good, sig: 'zz' },
      { ...good, created_at: 'soon' },
    ];
    for (const e of bad) expect(verifyEvent(wire(e as pure.NostrEvent)), JSON.stringify(e)).toBe(false);
    expect(verifyEvent(wire(good))).toBe(true);
  });
});

describe('signature errors', () => {
  it('names what is wrong: the id, a pubkey off the curve, or the signature (also out of range)', () => {
    const good = pure.finalizeEvent(template, sk);
    expect(signatureError(wire(good))).toBeUndefined();
    expect(signatureError({ ...good, content: 'altered' })).toBe('bad-id');
    const offCurve = { ...template, pubkey: 'f'.repeat(64) };
    expect(signatureError({ ...offCurve, id: eventHash(offCurve), sig: good.sig })).toBe('bad-pubkey');
    expect(signatureError({ ...good, sig: 'f'.repeat(128) })).toBe('bad-signature');
    expect(signatureError({ ...good, sig: `${good.sig.slice(0, 64)}${'1'.repeat(64)}` })).toBe('bad-signature');
    expect(signatureError(wire({ ...offCurve, id: pure.getEventHash(offCurve), sig: good.sig }))).toBe('bad-pubkey');
    expect(signatureError(wire({ ...good, content: 'hellO' }))).toBe('bad-id');
    expect(signatureError(wire({ ...good, sig: 'ff'.repeat(64) }))).toBe('bad-signature');
    expect(signatureError(wire({ ...good, sig: pure.finalizeEvent(template, pure.generateSecretKey()).sig }))).toBe('bad-signature');
  });
});

describe('signatures made in this process', () => {
  it('are known by id and signature, and only while the content still hashes to the id', () => {
    const ours = wire(finalizeEvent(template, sk));
    expect(signedByUs(ours)).toBe(true);
    expect(signedByUs({ ...ours, content: 'hellO' })).toBe(false);
    expect(signedByUs({ ...ours, sig: pure.finalizeEvent(template, sk).sig })).toBe(false);
    expect(signedByUs({ ...ours, tags: [] })).toBe(false);
    // Signed elsewhere (valid, but not by us): the curve check decides.
    const theirs = wire(pure.finalizeEvent(template, pure.generateSecretKey()));
    expect(signedByUs(theirs)).toBe(false);
    expect(verifyEvent(theirs)).toBe(true);
  });
});

describe('shared-secret cache', () => {
  it('returns the keys nostr-tools derives, the same object on repeat', () => {
    const peer = pure.getPublicKey(pure.generateSecretKey());
    const k = conversationKey(sk, peer);
    expect(k).toEqual(getConversationKey(sk, peer));
    expect(conversationKey(sk, peer)).toBe(k);
    expect(nip04Key(sk, peer)).toEqual(nip04SharedSecret(sk, peer));
    expect(nip04Key(sk, peer)).toBe(nip04Key(sk, peer));
    expect(publicKeyOf(sk)).toBe(pure.getPublicKey(sk));
  });

  it('keys by both sides: another local key gets its own secret', () => {
    const peer = pure.getPublicKey(pure.generateSecretKey());
    const sk2 = pure.generateSecretKey();
    expect(conversationKey(sk2, peer)).not.toEqual(conversationKey(sk, peer));
    expect(nip04Key(sk2, peer)).not.toEqual(nip04Key(sk, peer));
  });

  it('throws for a pubkey that is not on the curve, and caches nothing for it', () => {
    expect(() => conversationKey(sk, 'f'.repeat(64))).toThrow();
    expect(() => nip04Key(sk, 'f'.repeat(64))).toThrow();
  });
});
