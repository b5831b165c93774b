import * as nip04 from 'nostr-tools/nip04';
import * as nip17 from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { createDm, DmError, openDm, replyScheme, replyTo } from '../../../core/nostr/dm.ts';
import { unwrapPrivateDm, wrapPrivateDm } from '../../../core/nostr/nip17.ts';
import { GiftWrapError, unwrapGiftWrap } from '../../../core/nostr/nip59.ts';
import { forgedGiftWrap, giftWrap, rumor, seal, wire } from '../../support/nostr.ts';

const alice = generateSecretKey();
const bot = generateSecretKey();
const mallory = generateSecretKey();
const [alicePk, botPk] = [getPublicKey(alice), getPublicKey(bot)];

describe('NIP-17 gift wraps', () => {
  it('round-trips a private DM between two keys and names the sender', () => {
    const wrap = wrapPrivateDm(alice, botPk, 'invoice 1000', { replyTo: 'a'.repeat(64) });
    expect(wrap.kind).toBe(1059);
    expect(wrap.pubkey).not.toBe(alicePk);
    const { sender, rumor, seal } = unwrapPrivateDm(wrap, bot);
    expect(sender).toBe(alicePk);
    expect(seal.pubkey).toBe(alicePk);
    expect(rumor.content).toBe('invoice 1000');
    expect(rumor.tags).toContainEqual(['e', 'a'.repeat(64), '', 'reply']);
    expect(() => unwrapGiftWrap(wrap, mallory)).toThrow(/addressed to someone else/);
  });

  it('interoperates with nostr-tools wraps in both directions, with fresh times and keys', () => {
    const ours = wrapPrivateDm(alice, botPk, 'hi bot', { relayHint: 'wss://r.example', subject: 's' });
    const opened = nip17.unwrapEvent(wire(ours), bot);
    expect(opened).toMatchObject({ kind: 14, pubkey: alicePk, content: 'hi bot' });
    expect(opened.tags).toEqual([['p', botPk, 'wss://r.example'], ['subject', 's']]);
    const again = wrapPrivateDm(alice, botPk, 'hi bot');
    expect(again.pubkey).not.toBe(ours.pubkey);
    expect(ours.created_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const theirs = nip17.wrapEvent(alice, { publicKey: botPk }, 'from nostr-tools');
    expect(unwrapPrivateDm(wire(theirs), bot)).toMatchObject({ sender: alicePk, rumor: { content: 'from nostr-tools' } });
  });

  it('rejects a forged seal: signed by mallory, rumor claiming alice', () => {
    const wrap = forgedGiftWrap(alicePk, mallory, botPk);
    expect(() => unwrapGiftWrap(wrap, bot)).toThrow(expect.objectContaining({ code: 'forged-seal' }));
    // nostr-tools' own unwrap refuses it too; ours must never be laxer.
    expect(() => nip59.unwrapEvent(wrap, bot)).toThrow();
  });

  it('rejects tampered signatures, ids and shapes', () => {
    const good = seal(rumor(alicePk, botPk), alice, botPk);
    const cases: Array<[NostrEvent, GiftWrapError['code']]> = [
      [wire({ ...giftWrap(good, botPk), sig: 'b'.repeat(128) }), 'bad-signature'],
      [giftWrap({ ...good, sig: 'c'.repeat(128) }, botPk), 'bad-signature'],
      [giftWrap({ ...good, content: good.content.slice(0, -8) + 'AAAAAAAA' }, botPk), 'bad-signature'],
      [giftWrap(seal({ ...rumor(alicePk, botPk), id: 'd'.repeat(64) }, alice, botPk), botPk), 'bad-rumor-id'],
      [giftWrap(seal(rumor(alicePk, botPk), alice, botPk, [['p', botPk]]), botPk), 'malformed'],
      [giftWrap(seal({ hello: 'world' }, alice, botPk), botPk), 'malformed'],
      [giftWrap('not an event', botPk), 'malformed'],
      [giftWrap(good, botPk, [['p', alicePk]]), 'not-for-us'],
      [{ ...giftWrap(good, botPk), kind: 4 }, 'not-gift-wrap'],
    ];
    for (const [wrap, code] of cases) expect(() => unwrapGiftWrap(wrap, bot), code).toThrow(expect.objectContaining({ code }));
  });

  it('rejects a wrap that is not NIP-44 for us, and oversize content before decrypting', () => {
    const ephemeral = generateSecretKey();
    const garbage = finalizeEvent({ kind: 1059, created_at: 1, tags: [['p', botPk]], content: 'AgAAAA' + 'A'.repeat(200) }, ephemeral);
    expect(() => unwrapGiftWrap(garbage, bot)).toThrow(expect.objectContaining({ code: 'undecryptable' }));
    const huge = finalizeEvent({ kind: 1059, created_at: 1, tags: [['p', botPk]], content: 'A'.repeat(300_000) }, ephemeral);
    expect(() => unwrapGiftWrap(huge, bot)).toThrow(expect.objectContaining({ code: 'too-large' }));
  });

  it('refuses a gift-wrapped rumor that is not a kind-14 DM', () => {
    const wrap = nip59.wrapEvent({ kind: 1, content: 'hi', tags: [] }, alice, botPk);
    expect(unwrapGiftWrap(wrap, bot).rumor.kind).toBe(1);
    expect(() => unwrapPrivateDm(wrap, bot)).toThrow(/not a private DM/);
  });
});

describe('direct messages in either scheme', () => {
  it('answers NIP-04 with NIP-04 and NIP-17 with NIP-17', () => {
    expect(replyScheme(4)).toBe('nip04');
    expect(replyScheme(1059)).toBe('nip17');
    expect(replyScheme(14)).toBe('nip17');
    expect(() => replyScheme(1)).toThrow(DmError);

    for (const scheme of ['nip04', 'nip17'] as const) {
      const incoming = openDm(createDm(scheme, alice, botPk, 'bal'), bot);
      expect(incoming).toMatchObject({ scheme, sender: alicePk, text: 'bal' });
      const reply = replyTo(incoming, bot, 'Balance: 0 sats');
      expect(reply.kind).toBe(scheme === 'nip04' ? 4 : 1059);
      const back = openDm(reply, alice);
      expect(back).toMatchObject({ scheme, sender: botPk, text: 'Balance: 0 sats' });
      const refersTo = scheme === 'nip04' ? reply.tags : unwrapPrivateDm(reply, alice).rumor.tags;
      expect(refersTo).toContainEqual(['e', incoming.id, '', 'reply']);
    }
  });

  it('refuses NIP-04 messages that are forged, not for us or not decryptable', () => {
    const dm = createDm('nip04', alice, botPk, 'pay lnbc1');
    expect(() => openDm(wire({ ...dm, pubkey: getPublicKey(mallory) }), bot)).toThrow(expect.objectContaining({ code: 'bad-signature' }));
    expect(() => openDm(dm, mallory)).toThrow(expect.objectContaining({ code: 'not-for-us' }));
    const junk = finalizeEvent({ kind: 4, created_at: 1, tags: [['p', botPk]], content: 'not?iv=base64' }, alice);
    expect(() => openDm(junk, bot)).toThrow(expect.objectContaining({ code: 'undecryptable' }));
    const other = finalizeEvent({ kind: 4, created_at: 1, tags: [['p', botPk]], content: nip04.encrypt(mallory, botPk, 'x') }, alice);
    expect(() => openDm(other, bot)).toThrow(DmError);
  });
});
