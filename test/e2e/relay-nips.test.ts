// NIP-09, 11, 13, 40, 42 (gated DM kinds), 62 and 70 end to end over real sockets.
import { Relay } from 'nostr-tools/relay';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { minePow } from 'nostr-tools/nip13';
import { finalizeEvent } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type Key, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
beforeAll(async () => { relay = await startTestRelay({ RELAY_EXPIRATION_SWEEP: '1' }); });
afterAll(async () => relay.close());

const now = () => Math.floor(Date.now() / 1000);

/** The challenge comes with the first auth-required refusal. */
async function challenged(): Promise<WireClient> {
  const c = await WireClient.open(relay.url);
  expect((await c.query('gated', { kinds: [4] })).closed).toMatch(/^auth-required:/);
  await c.next((m) => m[0] === 'AUTH');
  return c;
}

async function authed(key: Key): Promise<WireClient> {
  const c = await challenged();
  const auth = finalizeEvent(makeAuthEvent(relay.url, c.challenge), key.sk);
  const from = c.received.length;
  c.send(['AUTH', auth]);
  const ok = await c.next((m) => m[0] === 'OK' && m[1] === auth.id, from);
  expect(ok[2]).toBe(true);
  return c;
}

describe('NIP-42 and gated DM kinds', () => {
  it('serves kinds 4, 14 and 1059 only to their authenticated author or p-tagged recipient', async () => {
    const [alice, bob, eve] = [newKey(), newKey(), newKey()];
    const pub = await WireClient.open(relay.url);
    const dm = sign(alice, { kind: 4, tags: [['p', bob.pk]], content: 'secret?iv=x' });
    const wrap = sign(eve, { kind: 1059, tags: [['p', bob.pk]], content: 'sealed' });
    expect(await pub.publish(dm)).toEqual([true, '']);
    expect(await pub.publish(wrap)).toEqual([true, '']);

    const anon = await WireClient.open(relay.url);
    const refused = await anon.query('dm', { kinds: [4], '#p': [bob.pk] });
    expect(refused.closed).toMatch(/^auth-required:/);
    // Without kinds in the filter the DM is silently left out.
    expect((await anon.query('all', { authors: [alice.pk] })).events).toEqual([]);

    const asBob = await authed(bob);
    expect((await asBob.query('dm', { kinds: [4, 1059], '#p': [bob.pk] })).events.map((e) => e.id).sort()).toEqual([dm.id, wrap.id].sort());
    const asAlice = await authed(alice);
    expect((await asAlice.query('dm', { kinds: [4] , authors: [alice.pk] })).events.map((e) => e.id)).toEqual([dm.id]);
    const asEve = await authed(eve);
    expect((await asEve.query('dm', { kinds: [4], '#p': [bob.pk] })).events).toEqual([]);

    // Live: only the recipient's subscription gets the next DM.
    await asEve.query('live', { kinds: [4] });
    await asBob.query('live', { kinds: [4], '#p': [bob.pk] });
    const dm2 = sign(alice, { kind: 4, tags: [['p', bob.pk]], content: 'second' });
    await pub.publish(dm2);
    await asBob.next((m) => m[0] === 'EVENT' && m[1] === 'live' && (m[2] as { id: string }).id === dm2.id);
    await pub.publish(sign(eve, { kind: 4, tags: [['p', eve.pk]], content: 'to self' }));
    await asEve.next((m) => m[0] === 'EVENT' && m[1] === 'live');
    expect(asEve.received.some((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === dm2.id)).toBe(false);
    for (const c of [pub, anon, asBob, asAlice, asEve]) c.close();
  });

  it('refuses AUTH with a wrong challenge, relay, kind or signature', async () => {
    const k = newKey();
    const c = await challenged();
    const cases = [
      finalizeEvent(makeAuthEvent(relay.url, 'not-the-challenge'), k.sk),
      finalizeEvent(makeAuthEvent('wss://elsewhere.example', c.challenge), k.sk),
      finalizeEvent({ ...makeAuthEvent(relay.url, c.challenge), kind: 1 }, k.sk),
      { ...finalizeEvent(makeAuthEvent(relay.url, c.challenge), k.sk), sig: 'ab'.repeat(64) },
    ];
    for (const e of cases) {
      const from = c.received.length;
      c.send(['AUTH', e]);
      const ok = await c.next((m) => m[0] === 'OK' && m[1] === e.id, from);
      expect(ok[2]).toBe(false);
      expect(ok[3]).toMatch(/^invalid:/);
    }
    c.close();
  });

  it('sends no challenge until one is needed', async () => {
    const c = await WireClient.open(relay.url);
    await c.query('plain', { kinds: [1], limit: 1 });
    expect(c.received.some((m) => m[0] === 'AUTH')).toBe(false);
    c.close();
  });

  it('authenticates through nostr-tools onauth', async () => {
    const k = newKey();
    const r = await Relay.connect(relay.url);
    let authed = false;
    r.onauth = async (t) => { authed = true; return finalizeEvent(t, k.sk); };
    // The first gated REQ is refused with auth-required and the challenge; nostr-tools answers it.
    const refused = await new Promise<string>((resolve) => r.subscribe([{ kinds: [14], '#p': [k.pk] }], { onclose: resolve }));
    expect(refused).toMatch(/^auth-required:/);
    await expect.poll(() => authed).toBe(true);
    const dm = sign(k, { kind: 14, tags: [['p', k.pk]], content: 'note to self' });
    await r.publish(dm);
    const got = await new Promise<string[]>((resolve) => {
      const ids: string[] = [];
      const sub = r.subscribe([{ kinds: [14], '#p': [k.pk] }], { onevent: (e) => ids.push(e.id), oneose: () => { sub.close(); resolve(ids); } });
    });
    expect(got).toEqual([dm.id]);
    r.close();
  });
});

describe('NIP-70 protected events', () => {
  it('accepts ["-"] events only from their authenticated author', async () => {
    const [k, other] = [newKey(), newKey()];
    const e = sign(k, { kind: 1, tags: [['-']], content: 'protected' });
    const anon = await WireClient.open(relay.url);
    const [ok1, why1] = await anon.publish(e);
    expect([ok1, why1.split(':')[0]]).toEqual([false, 'auth-required']);
    const asOther = await authed(other);
    const [ok2, why2] = await asOther.publish(e);
    expect([ok2, why2.split(':')[0]]).toEqual([false, 'restricted']);
    const asAuthor = await authed(k);
    expect(await asAuthor.publish(e)).toEqual([true, '']);
    for (const c of [anon, asOther, asAuthor]) c.close();
  });
});

describe('NIP-09 deletion', () => {
  it('deletes the author\'s own events by e and a tags, ignores others\', blocks re-publication, and never deletes a deletion', async () => {
    const [k, stranger] = [newKey(), newKey()];
    const c = await WireClient.open(relay.url);
    const note = sign(k, { kind: 1, content: 'oops', created_at: now() - 10 });
    const theirs = sign(stranger, { kind: 1, content: 'not yours', created_at: now() - 10 });
    const article = sign(k, { kind: 30023, tags: [['d', 'post']], content: 'draft', created_at: now() - 10 });
    for (const e of [note, theirs, article]) await c.publish(e);

    const del = sign(k, { kind: 5, tags: [['e', note.id], ['e', theirs.id], ['a', `30023:${k.pk}:post`]] });
    expect(await c.publish(del)).toEqual([true, '']);
    const left = await c.query('q', { ids: [note.id, theirs.id, article.id, del.id] });
    expect(left.events.map((e) => e.id).sort()).toEqual([theirs.id, del.id].sort());

    const [again, why] = await c.publish(note);
    expect(again).toBe(false);
    expect(why).toMatch(/^blocked:/);

    const delDel = sign(k, { kind: 5, tags: [['e', del.id]] });
    await c.publish(delDel);
    expect((await c.query('q2', { ids: [del.id] })).events).toHaveLength(1);

    // A newer version at the deleted address is accepted again.
    const republished = sign(k, { kind: 30023, tags: [['d', 'post']], content: 'final', created_at: now() + 1 });
    expect(await c.publish(republished)).toEqual([true, '']);
    c.close();
  });
});

describe('NIP-40 expiration', () => {
  it('refuses expired events, never serves expired ones, and purges them', async () => {
    const k = newKey();
    const c = await WireClient.open(relay.url);
    const [ok, why] = await c.publish(sign(k, { kind: 1, tags: [['expiration', String(now() - 1)]], content: 'stale' }));
    expect([ok, why.split(':')[0]]).toEqual([false, 'invalid']);
    const soon = sign(k, { kind: 1, tags: [['expiration', String(now() + 2)]], content: 'short-lived' });
    expect(await c.publish(soon)).toEqual([true, '']);
    expect((await c.query('a', { ids: [soon.id] })).events).toHaveLength(1);
    await expect.poll(async () => (await c.query(`b${Math.random()}`, { ids: [soon.id] })).events.length, { timeout: 6000 }).toBe(0);
    await expect.poll(async () => (await relay.ctx.sql`select 1 from relay_events where id = ${Buffer.from(soon.id, 'hex')}`).length, { timeout: 6000 }).toBe(0);
    c.close();
  });
});

describe('NIP-62 request to vanish', () => {
  it('erases the author\'s events and gift wraps to them, and refuses their older events afterwards', async () => {
    const [k, friend] = [newKey(), newKey()];
    const c = await WireClient.open(relay.url);
    const mine = [sign(k, { kind: 1, content: 'one', created_at: now() - 5 }), sign(k, { kind: 0, content: '{}', created_at: now() - 5 })];
    const wrap = sign(friend, { kind: 1059, tags: [['p', k.pk]], content: 'gift', created_at: now() - 5 });
    const unrelated = sign(friend, { kind: 1, content: 'stays', created_at: now() - 5 });
    for (const e of [...mine, wrap, unrelated]) await c.publish(e);
    const elsewhere = sign(k, { kind: 62, tags: [['relay', 'wss://some.other.relay']], content: '' });
    expect(await c.publish(elsewhere)).toEqual([true, '']);
    expect((await c.query('x', { authors: [k.pk], kinds: [1] })).events).toHaveLength(1);

    expect(await c.publish(sign(k, { kind: 62, tags: [['relay', relay.url]], content: 'bye' }))).toEqual([true, '']);
    const n = (await relay.ctx.sql<{ n: number }[]>`select count(*)::int as n from relay_events where pubkey = ${Buffer.from(k.pk, 'hex')} or id = ${Buffer.from(wrap.id, 'hex')}`)[0]!.n;
    expect(n).toBe(0);
    expect((await c.query('y', { ids: [unrelated.id] })).events).toHaveLength(1);
    const [ok, why] = await c.publish(mine[0]!);
    expect([ok, why.split(':')[0]]).toEqual([false, 'blocked']);
    c.close();
  });
});

describe('NIP-11', () => {
  it('serves the information document at the relay URL with limits from the config', async () => {
    const res = await fetch(relay.url.replace('ws://', 'http://'), { headers: { accept: 'application/nostr+json' } });
    expect(res.headers.get('content-type')).toBe('application/nostr+json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = await res.json() as { supported_nips: number[]; limitation: Record<string, unknown>; name: string };
    expect(doc.supported_nips).toEqual(expect.arrayContaining([1, 9, 11, 13, 40, 42, 45, 50, 62, 70, 77, 86]));
    expect(doc.limitation).toMatchObject({
      max_message_length: relay.ctx.config.RELAY_MAX_MESSAGE_BYTES,
      max_subscriptions: relay.ctx.config.RELAY_MAX_SUBSCRIPTIONS,
      max_limit: relay.ctx.config.RELAY_MAX_LIMIT,
      min_pow_difficulty: 0,
      auth_required: false,
    });
    expect(doc.name).toBe(relay.ctx.config.RELAY_NAME);
  });
});

describe('NIP-13 proof of work', () => {
  it('refuses events under the minimum difficulty with pow: and accepts mined ones', async () => {
    const pow = await startTestRelay({ RELAY_MIN_POW: '8' });
    try {
      const k = newKey();
      const c = await WireClient.open(pow.url);
      const [ok, why] = await c.publish(sign(k, { kind: 1, content: 'lazy', tags: [['nonce', '0', '2']] }));
      expect([ok, why.split(':')[0]]).toEqual([false, 'pow']);
      const mined = finalizeEvent(minePow({ kind: 1, tags: [], content: 'worked', created_at: now(), pubkey: k.pk }, 10), k.sk);
      expect(await c.publish(mined)).toEqual([true, '']);
      const doc = await (await fetch(pow.url.replace('ws://', 'http://'), { headers: { accept: 'application/nostr+json' } })).json() as { limitation: { min_pow_difficulty: number } };
      expect(doc.limitation.min_pow_difficulty).toBe(8);
      c.close();
    } finally {
      await pow.close();
    }
  });
});
