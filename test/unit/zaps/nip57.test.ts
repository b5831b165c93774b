import { validateZapRequest } from 'nostr-tools/nip57';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent, type EventTemplate } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { buildZapReceipt, buildZapRequest, isEventCoordinate, parseZapRequest, ZapRequestError, type ZapRequestReason } from '../../../core/nostr/nip57.ts';

const sender = generateSecretKey();
const recipient = getPublicKey(generateSecretKey());
const eventId = 'ab'.repeat(32);
const amountMsat = 21_000n;

function request(mutate: (t: EventTemplate) => void = () => {}): string {
  const t = buildZapRequest({ recipient, amountMsat, relays: ['ws://127.0.0.1:1', 'wss://relay.example'], comment: 'hi' });
  mutate(t);
  return JSON.stringify(finalizeEvent(t, sender));
}

function reasonOf(json: string, opts: { amountMsat?: bigint; recipient?: string } = {}): ZapRequestReason | 'accepted' {
  try {
    parseZapRequest(json, { amountMsat: opts.amountMsat ?? amountMsat, recipient: opts.recipient ?? recipient });
    return 'accepted';
  } catch (err) {
    if (err instanceof ZapRequestError) return err.code;
    throw err;
  }
}

describe('NIP-57 zap request validation (Appendix D)', () => {
  it('accepts a well-formed request and keeps what the receipt needs', () => {
    const json = request((t) => t.tags.push(['e', eventId], ['a', `30023:${recipient}:post`], ['k', '30023'], ['P', getPublicKey(sender)]));
    const z = parseZapRequest(json, { amountMsat, recipient });
    expect(validateZapRequest(json)).toBeNull();
    expect(z).toMatchObject({ recipient, sender: getPublicKey(sender), eventId, coordinate: `30023:${recipient}:post`, zappedKind: 30023, amountMsat, comment: 'hi', anonymous: false });
    expect(z.relays).toEqual(['ws://127.0.0.1:1', 'wss://relay.example']);
  });

  it('accepts a request without the optional amount tag', () => {
    expect(reasonOf(request((t) => { t.tags = t.tags.filter((x) => x[0] !== 'amount'); }))).toBe('accepted');
  });

  const cases: Array<[string, () => string, ZapRequestReason]> = [
    ['not JSON', () => '{"kind":9734', 'malformed'],
    ['not an event', () => JSON.stringify({ kind: 9734, tags: [] }), 'malformed'],
    ['oversize', () => request((t) => { t.content = 'x'.repeat(20_000); }), 'too_large'],
    ['wrong kind', () => request((t) => { t.kind = 1; }), 'wrong_kind'],
    ['1: bad signature', () => JSON.stringify({ ...JSON.parse(request()), sig: 'ff'.repeat(64) }), 'bad_signature'],
    ['1: content changed after signing', () => JSON.stringify({ ...JSON.parse(request()), content: 'changed' }), 'bad_signature'],
    ['2: no tags', () => request((t) => { t.tags = []; }), 'no_tags'],
    ['3: no p tag', () => request((t) => { t.tags = t.tags.filter((x) => x[0] !== 'p'); }), 'p_tag'],
    ['3: two p tags', () => request((t) => t.tags.push(['p', 'cd'.repeat(32)])), 'p_tag'],
    ['3: p not hex', () => request((t) => { t.tags = t.tags.map((x) => (x[0] === 'p' ? ['p', 'npub1xyz'] : x)); }), 'p_tag'],
    ['4: two e tags', () => request((t) => t.tags.push(['e', eventId], ['e', 'cd'.repeat(32)])), 'e_tag'],
    ['4: e not hex', () => request((t) => t.tags.push(['e', 'note1abc'])), 'e_tag'],
    ['5: no relays tag', () => request((t) => { t.tags = t.tags.filter((x) => x[0] !== 'relays'); }), 'relays'],
    ['5: empty relays tag', () => request((t) => { t.tags = t.tags.map((x) => (x[0] === 'relays' ? ['relays'] : x)); }), 'relays'],
    ['5: relay not a websocket URL', () => request((t) => { t.tags = t.tags.map((x) => (x[0] === 'relays' ? ['relays', 'https://x.example'] : x)); }), 'relays'],
    ['6: amount differs from the query', () => request((t) => { t.tags = t.tags.map((x) => (x[0] === 'amount' ? ['amount', '20000'] : x)); }), 'amount_mismatch'],
    ['6: amount not a number', () => request((t) => { t.tags = t.tags.map((x) => (x[0] === 'amount' ? ['amount', '21000.0'] : x)); }), 'amount_mismatch'],
    ['7: a tag not a coordinate', () => request((t) => t.tags.push(['a', 'hello'])), 'a_tag'],
    ['7: a tag of a regular kind', () => request((t) => t.tags.push(['a', `1:${recipient}:x`])), 'a_tag'],
    ['8: two P tags', () => request((t) => t.tags.push(['P', getPublicKey(sender)], ['P', getPublicKey(sender)])), 'P_tag'],
    ['8: P tag not the sender', () => request((t) => t.tags.push(['P', 'cd'.repeat(32)])), 'P_tag'],
  ];
  it.each(cases)('refuses %s', (_name, make, reason) => {
    expect(reasonOf(make())).toBe(reason);
  });

  it('refuses a request for someone other than the address owner', () => {
    expect(reasonOf(request(), { recipient: 'cd'.repeat(32) })).toBe('wrong_recipient');
  });

  it('knows event coordinates', () => {
    expect(isEventCoordinate(`30023:${recipient}:`)).toBe(true);
    expect(isEventCoordinate(`10002:${recipient}:`)).toBe(true);
    expect(isEventCoordinate(`10002:${recipient}:d`)).toBe(false);
    expect(isEventCoordinate(`30023:${recipient.slice(2)}:d`)).toBe(false);
  });
});

describe('NIP-57 zap receipt (Appendix E)', () => {
  it('copies p, e, a, P, k and carries bolt11, description and preimage, dated when paid', () => {
    const json = request((t) => t.tags.push(['e', eventId], ['a', `30023:${recipient}:post`], ['k', '30023']));
    const z = parseZapRequest(json, { amountMsat });
    const paidAt = new Date('2025-01-02T03:04:05Z');
    const receipt = finalizeEvent(buildZapReceipt(z, { bolt11: 'lnbcrt210n1xyz', preimage: 'ee'.repeat(32), paidAt }), generateSecretKey());
    expect(verifyEvent(receipt)).toBe(true);
    expect(receipt.kind).toBe(9735);
    expect(receipt.created_at).toBe(paidAt.getTime() / 1000);
    const tag = (n: string) => receipt.tags.filter((t) => t[0] === n).map((t) => t[1]);
    expect(tag('p')).toEqual([recipient]);
    expect(tag('e')).toEqual([eventId]);
    expect(tag('a')).toEqual([`30023:${recipient}:post`]);
    expect(tag('P')).toEqual([getPublicKey(sender)]);
    expect(tag('k')).toEqual(['30023']);
    expect(tag('bolt11')).toEqual(['lnbcrt210n1xyz']);
    expect(tag('description')).toEqual([json]);
    expect(tag('preimage')).toEqual(['ee'.repeat(32)]);
  });

  it('marks anonymous zap requests', () => {
    const t = buildZapRequest({ recipient, amountMsat, relays: ['wss://r.example'], anonymous: true });
    const z = parseZapRequest(JSON.stringify(finalizeEvent(t, generateSecretKey())), { amountMsat });
    expect(z.anonymous).toBe(true);
  });
});
