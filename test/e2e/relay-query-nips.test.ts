// NIP-45 COUNT (with HyperLogLog), NIP-50 search and NIP-77 negentropy sync, with
// nostr-tools as the client over a real socket.
import { nip77 } from 'nostr-tools';
import { feedEvent, hllEncode, newHll, computeOffset } from 'nostr-tools/nip45';
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
beforeAll(async () => { relay = await startTestRelay(); });
afterAll(async () => relay.close());

const now = () => Math.floor(Date.now() / 1000);

describe('NIP-45 COUNT', () => {
  it('counts OR\'ed filters exactly and returns the HyperLogLog of a tag filter', async () => {
    const target = sign(newKey(), { kind: 1, content: 'popular' });
    const c = await WireClient.open(relay.url);
    await c.publish(target);
    const reactions = Array.from({ length: 12 }, () => sign(newKey(), { kind: 7, content: '+', tags: [['e', target.id]] }));
    for (const e of reactions) await c.publish(e);
    const r = await Relay.connect(relay.url);
    expect(await r.count([{ kinds: [7], '#e': [target.id] }], {})).toBe(12);
    expect(await r.count([{ kinds: [7], '#e': [target.id] }, { ids: [target.id] }, { ids: [reactions[0]!.id] }], {})).toBe(13);

    const { count, hll } = await r.countWithHLL([{ kinds: [7], '#e': [target.id] }], {});
    expect(count).toBe(12);
    const local = newHll();
    const offset = computeOffset(target.id);
    for (const e of reactions) feedEvent(local, e, offset);
    expect(hll).toBe(hllEncode(local));
    r.close(); c.close();
  });

  it('refuses to count other people\'s direct messages', async () => {
    const c = await WireClient.open(relay.url);
    const from = c.received.length;
    c.send(['COUNT', 'dm', { kinds: [4], '#p': [newKey().pk] }]);
    const m = await c.next((x) => x[0] === 'CLOSED', from);
    expect(m[2]).toMatch(/^auth-required:/);
    c.close();
  });
});

describe('NIP-50 search', () => {
  it('finds notes by words, most relevant first, and matches live events', async () => {
    const k = newKey();
    const c = await WireClient.open(relay.url);
    const both = sign(k, { kind: 1, content: 'Lightning zaps are lightning fast', created_at: now() - 3 });
    const one = sign(k, { kind: 1, content: 'a slow lightning payment', created_at: now() - 2 });
    const none = sign(k, { kind: 1, content: 'onchain only', created_at: now() - 1 });
    for (const e of [both, one, none]) await c.publish(e);
    const res = await c.query('s', { search: 'lightning', authors: [k.pk] });
    expect(res.events.map((e) => e.id).sort()).toEqual([both.id, one.id].sort());
    const ranked = await c.query('r', { search: 'lightning fast', kinds: [1] });
    expect(ranked.events.map((e) => e.id)).toEqual([both.id]);
    await c.query('live', { search: 'invoice', kinds: [1] });
    const hit = sign(k, { kind: 1, content: 'pay this Invoice please' });
    await c.publish(hit);
    await c.next((m) => m[0] === 'EVENT' && m[1] === 'live' && (m[2] as { id: string }).id === hit.id);
    c.close();
  });
});

describe('NIP-77 negentropy', () => {
  it('reconciles a client\'s set with the relay\'s through nostr-tools NegentropySync', async () => {
    const k = newKey();
    const c = await WireClient.open(relay.url);
    const onRelay = Array.from({ length: 300 }, (_, i) => sign(k, { kind: 1, content: `r${i}`, created_at: now() - 1000 + i }));
    for (const e of onRelay) await c.publish(e);
    const clientOnly = Array.from({ length: 40 }, (_, i) => sign(k, { kind: 1, content: `c${i}`, created_at: now() - 500 + i }));
    // The client has half of the relay's events and some of its own.
    const storage = new nip77.NegentropyStorageVector();
    for (const e of [...onRelay.filter((_, i) => i % 2 === 0), ...clientOnly]) storage.insert(e.created_at, e.id);
    storage.seal();

    const r = await Relay.connect(relay.url);
    const have: string[] = [];
    const need: string[] = [];
    const done = new Promise<string | undefined>((resolve) => {
      const sync = new nip77.NegentropySync(r, storage, { authors: [k.pk] }, { onhave: (id) => have.push(id), onneed: (id) => need.push(id), onclose: resolve });
      void sync.start();
    });
    expect(await done).toBeUndefined();
    expect(have.sort()).toEqual(clientOnly.map((e) => e.id).sort());
    expect(need.sort()).toEqual(onRelay.filter((_, i) => i % 2 === 1).map((e) => e.id).sort());
    r.close(); c.close();
  });

  it('refuses a sync over too many records with NEG-ERR blocked:', async () => {
    const small = await startTestRelay({ RELAY_NEG_MAX_RECORDS: '2' });
    try {
      const k = newKey();
      const c = await WireClient.open(small.url);
      for (let i = 0; i < 3; i++) await c.publish(sign(k, { kind: 1, content: String(i) }));
      const storage = new nip77.NegentropyStorageVector();
      storage.seal();
      const from = c.received.length;
      c.send(['NEG-OPEN', 'n1', { authors: [k.pk] }, new nip77.Negentropy(storage).initiate()]);
      const m = await c.next((x) => x[0] === 'NEG-ERR', from);
      expect(m[2]).toMatch(/^blocked:/);
      c.close();
    } finally {
      await small.close();
    }
  });
});
