// NIP-01 over a real socket with nostr-tools as the client: publish, query, live, kind classes.
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
beforeAll(async () => { relay = await startTestRelay(); });
afterAll(async () => relay.close());

const now = () => Math.floor(Date.now() / 1000);

describe('relay NIP-01', () => {
  it('stores a published event and serves it to REQ, newest first with ties by lowest id, limit capped', async () => {
    const alice = newKey();
    const r = await Relay.connect(relay.url);
    const t = now() - 100;
    const events = [sign(alice, { kind: 1, content: 'a', created_at: t }), sign(alice, { kind: 1, content: 'b', created_at: t + 1 }),
      sign(alice, { kind: 1, content: 'c', created_at: t + 1 }), sign(alice, { kind: 1, content: 'd', created_at: t + 2 })];
    for (const e of events) await r.publish(e);
    const got = await new Promise<string[]>((resolve) => {
      const ids: string[] = [];
      const sub = r.subscribe([{ authors: [alice.pk], kinds: [1] }], { onevent: (e) => ids.push(e.id), oneose: () => { sub.close(); resolve(ids); } });
    });
    const [b, c] = [events[1]!.id, events[2]!.id].sort();
    expect(got).toEqual([events[3]!.id, b, c, events[0]!.id]);

    const limited = await new Promise<string[]>((resolve) => {
      const ids: string[] = [];
      const sub = r.subscribe([{ authors: [alice.pk], limit: 2 }], { onevent: (e) => ids.push(e.id), oneose: () => { sub.close(); resolve(ids); } });
    });
    expect(limited).toEqual([events[3]!.id, b]);
    r.close();
  });

  it('ORs several filters and answers ids, kinds, #tags, since and until', async () => {
    const bob = newKey();
    const c = await WireClient.open(relay.url);
    const target = sign(bob, { kind: 1, content: 'target', created_at: now() - 50 });
    const reply = sign(bob, { kind: 7, content: '+', tags: [['e', target.id], ['p', bob.pk]], created_at: now() - 40 });
    const other = sign(bob, { kind: 30001, content: 'x', tags: [['d', 'z'], ['t', 'flash']], created_at: now() - 30 });
    for (const e of [target, reply, other]) expect(await c.publish(e)).toEqual([true, '']);

    expect((await c.query('ids', { ids: [target.id] })).events.map((e) => e.id)).toEqual([target.id]);
    expect((await c.query('tag', { '#e': [target.id], kinds: [7] })).events.map((e) => e.id)).toEqual([reply.id]);
    expect((await c.query('t', { '#t': ['flash'] })).events.map((e) => e.id)).toEqual([other.id]);
    expect((await c.query('or', { ids: [target.id] }, { '#t': ['flash'] })).events.map((e) => e.id)).toEqual([other.id, target.id]);
    expect((await c.query('range', { authors: [bob.pk], since: now() - 45, until: now() - 35 })).events.map((e) => e.id)).toEqual([reply.id]);
    expect((await c.query('kinds', { kinds: [30001], authors: [bob.pk] })).events.map((e) => e.id)).toEqual([other.id]);
    c.close();
  });

  it('delivers live events to matching subscriptions only, after EOSE, and stops after CLOSE', async () => {
    const carol = newKey();
    const listener = await WireClient.open(relay.url);
    const publisher = await WireClient.open(relay.url);
    await listener.query('live', { authors: [carol.pk], kinds: [1] });
    await listener.query('other', { kinds: [9999] });
    const e = sign(carol, { kind: 1, content: 'hello live' });
    await publisher.publish(e);
    const m = await listener.next((x) => x[0] === 'EVENT' && x[1] === 'live');
    expect((m[2] as { id: string }).id).toBe(e.id);
    expect(listener.received.some((x) => x[0] === 'EVENT' && x[1] === 'other')).toBe(false);

    listener.send(['CLOSE', 'live']);
    const e2 = sign(carol, { kind: 1, content: 'after close' });
    await publisher.publish(e2);
    const probe = sign(carol, { kind: 9999, content: 'probe' });
    await publisher.publish(probe);
    await listener.next((x) => x[0] === 'EVENT' && x[1] === 'other');
    expect(listener.received.some((x) => x[0] === 'EVENT' && (x[2] as { id: string }).id === e2.id)).toBe(false);
    listener.close(); publisher.close();
  });

  it('treats limit 0 as live only: no stored events, EOSE at once, then live ones', async () => {
    const k = newKey();
    const c = await WireClient.open(relay.url);
    await c.publish(sign(k, { kind: 1, content: 'stored' }));
    expect((await c.query('zero', { authors: [k.pk], limit: 0 })).events).toEqual([]);
    const live = sign(k, { kind: 1, content: 'live' });
    await c.publish(live);
    await c.next((m) => m[0] === 'EVENT' && m[1] === 'zero' && (m[2] as { id: string }).id === live.id);
    c.close();
  });

  it('answers a duplicate with OK true duplicate:', async () => {
    const c = await WireClient.open(relay.url);
    const e = sign(newKey(), { kind: 1, content: 'twice' });
    expect(await c.publish(e)).toEqual([true, '']);
    const [accepted, message] = await c.publish(e);
    expect(accepted).toBe(true);
    expect(message).toMatch(/^duplicate:/);
    c.close();
  });

  it('keeps only the newest replaceable and addressable event, ties to the lowest id', async () => {
    const dave = newKey();
    const c = await WireClient.open(relay.url);
    const t = now() - 20;
    const old = sign(dave, { kind: 0, content: '{"name":"old"}', created_at: t });
    const newer = sign(dave, { kind: 0, content: '{"name":"new"}', created_at: t + 5 });
    await c.publish(newer);
    expect((await c.publish(old))[1]).toMatch(/^duplicate:/);
    expect((await c.query('p', { kinds: [0], authors: [dave.pk] })).events.map((e) => e.id)).toEqual([newer.id]);

    const same = [sign(dave, { kind: 30000, tags: [['d', 'list']], content: '1', created_at: t }), sign(dave, { kind: 30000, tags: [['d', 'list']], content: '2', created_at: t })];
    const lowest = [...same].sort((a, b) => (a.id < b.id ? -1 : 1))[0]!;
    for (const e of same) await c.publish(e);
    await c.publish(sign(dave, { kind: 30000, tags: [['d', 'other']], content: 'o', created_at: t }));
    const got = await c.query('a', { kinds: [30000], authors: [dave.pk], '#d': ['list'] });
    expect(got.events.map((e) => e.id)).toEqual([lowest.id]);
    expect((await c.query('a2', { kinds: [30000], authors: [dave.pk] })).events).toHaveLength(2);
    c.close();
  });

  it('settles a race of many writers on one replaceable key with exactly the newest event', async () => {
    const erin = newKey();
    const clients = await Promise.all(Array.from({ length: 5 }, () => WireClient.open(relay.url)));
    const t = now() - 10;
    const events = Array.from({ length: 20 }, (_, i) => sign(erin, { kind: 10002, content: String(i), created_at: t + (i % 7) }));
    await Promise.all(events.map((e, i) => clients[i % 5]!.publish(e)));
    const newest = [...events].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))[0]!;
    const got = await clients[0]!.query('race', { kinds: [10002], authors: [erin.pk] });
    expect(got.events.map((e) => e.id)).toEqual([newest.id]);
    const n = (await relay.ctx.sql<{ n: number }[]>`select count(*)::int as n from relay_events where kind = 10002 and pubkey = ${Buffer.from(erin.pk, 'hex')}`)[0]!.n;
    expect(n).toBe(1);
    for (const c of clients) c.close();
  });

  it('never stores ephemeral events but delivers them live, and replays them from the window to a `since` subscriber', async () => {
    const frank = newKey();
    const listener = await WireClient.open(relay.url);
    await listener.query('eph', { kinds: [23194], '#p': [frank.pk] });
    const publisher = await WireClient.open(relay.url);
    const e = sign(frank, { kind: 23194, tags: [['p', frank.pk]], content: 'nwc request' });
    expect(await publisher.publish(e)).toEqual([true, '']);
    await listener.next((x) => x[0] === 'EVENT' && x[1] === 'eph');
    const n = (await relay.ctx.sql<{ n: number }[]>`select count(*)::int as n from relay_events where kind = 23194`)[0]!.n;
    expect(n).toBe(0);
    // A subscriber that reconnects with `since` gets it from the Redis window.
    const late = await WireClient.open(relay.url);
    await expect.poll(async () => (await late.query(`l${Math.random()}`, { kinds: [23194], '#p': [frank.pk], since: now() - 30 })).events.map((x) => x.id)).toEqual([e.id]);
    listener.close(); publisher.close(); late.close();
  });

  it('sends EVENT, EOSE and CLOSED messages with the subscription id and replaces a REQ with a reused id', async () => {
    const c = await WireClient.open(relay.url);
    const g = newKey();
    await c.publish(sign(g, { kind: 1, content: 'x' }));
    await c.query('same', { kinds: [5555] });
    const res = await c.query('same', { authors: [g.pk], kinds: [1] });
    expect(res.events).toHaveLength(1);
    const from = c.received.length;
    await c.publish(sign(g, { kind: 5555, content: 'no longer subscribed' }));
    await c.publish(sign(g, { kind: 1, content: 'still subscribed' }));
    const live = await c.next((x) => x[0] === 'EVENT' && x[1] === 'same', from);
    expect((live[2] as { content: string }).content).toBe('still subscribed');
    c.close();
  });
});
