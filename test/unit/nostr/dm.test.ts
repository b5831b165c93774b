import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { createDm, DmError, openDm, replyScheme, replyTo } from '../../../core/nostr/dm.ts';
import { unwrapPrivateDm, wrapPrivateDm } from '../../../core/nostr/nip17.ts';
import { GiftWrapError, unwrapGiftWrap } from '../../../core/nostr/nip59.ts';

const alice = generateSecretKey();
const bot = generateSecretKey();
const mallory = generateSecretKey();
const [alicePk, botPk] = [getPublicKey(alice), getPublicKey(bot)];

/** As it would arrive over the wire: nostr-tools caches verification in a symbol that spreads copy. */
const wire = (e: NostrEvent): NostrEvent => JSON.parse(JSON.stringify(e));
const encryptFor = (data: unknown, sk: Uint8Array, pk: string) => nip44.encrypt(JSON.stringify(data), nip44.getConversationKey(sk, pk));

/** A wrap around an arbitrary seal, built by hand to test what unwrap refuses. */
function wrapSeal(seal: unknown, recipient = botPk, tags = [['p', recipient]]): NostrEvent {
  const ephemeral = generateSecretKey();
  return finalizeEvent({ kind: 1059, created_at: 1, tags, content: encryptFor(seal, ephemeral, recipient) }, ephemeral);
}
function sealRumor(rumor: unknown, signer: Uint8Array, recipient = botPk, tags: string[][] = []): NostrEvent {
  return finalizeEvent({ kind: 13, created_at: 1, tags, content: encryptFor(rumor, signer, recipient) }, signer);
}
const rumorFrom = (pubkey: string, content = 'balance') => {
  const r = { pubkey, created_at: 1_700_000_000, kind: 14, tags: [['p', botPk]], content };
  return { ...r, id: getEventHash(r) };
};

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

  it('rejects a forged seal: signed by mallory, rumor claiming alice', () => {
    const wrap = wrapSeal(sealRumor(rumorFrom(alicePk), mallory));
    expect(() => unwrapGiftWrap(wrap, bot)).toThrow(expect.objectContaining({ code: 'forged-seal' }));
    // nostr-tools' own unwrap refuses it too; ours must never be laxer.
    expect(() => nip59.unwrapEvent(wrap, bot)).toThrow();
  });

  it('rejects tampered signatures, ids and shapes', () => {
    const good = sealRumor(rumorFrom(alicePk), alice);
    const cases: Array<[NostrEvent, GiftWrapError['code']]> = [
      [wire({ ...wrapSeal(good), sig: 'b'.repeat(128) }), 'bad-signature'],
      [wrapSeal({ ...good, sig: 'c'.repeat(128) }), 'bad-signature'],
      [wrapSeal({ ...good, content: good.content.slice(0, -8) + 'AAAAAAAA' }), 'bad-signature'],
      [wrapSeal(sealRumor({ ...rumorFrom(alicePk), id: 'd'.repeat(64) }, alice)), 'bad-rumor-id'],
      [wrapSeal(sealRumor(rumorFrom(alicePk), alice, botPk, [['p', botPk]])), 'malformed'],
      [wrapSeal(sealRumor({ hello: 'world' }, alice)), 'malformed'],
      [wrapSeal('not an event'), 'malformed'],
      [wrapSeal(good, botPk, [['p', alicePk]]), 'not-for-us'],
      [{ ...wrapSeal(good), kind: 4 }, 'not-gift-wrap'],
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
