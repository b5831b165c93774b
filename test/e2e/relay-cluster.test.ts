// Two `flash start relay` processes on one PostgreSQL and one Redis deliver each other's
// events live; NDK publishes and subscribes across them; NIP-11 is served at the relay URL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import NDK, { NDKEvent, NDKPrivateKeySigner } from '@nostr-dev-kit/ndk';
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { listensAt, runFlash, type FlashProcess } from '../support/process.ts';
import { newKey, sign, WireClient } from '../support/relay.ts';

let db: TestDb;
const procs: FlashProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  const shared = { DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data') };
  for (let i = 0; i < 2; i++) {
    procs.push(await runFlash(['start', 'relay'], { ...shared, RELAY_PORT: '0', API_PORT: '0' }));
    urls.push(await listensAt(procs[i]!, 'relay'));
  }
});
afterAll(async () => {
  for (const p of procs) { p.child.kill('SIGTERM'); await p.exited; }
  await db.drop();
});

describe('two relay processes', () => {
  it('run the relay role alone and say where it listens', () => {
    expect(procs[0]!.output()).toContain(`relay: ${urls[0]}`);
    expect(procs[0]!.output()).not.toContain('HTTP API:');
  });

  it('deliver an event accepted by one to live subscribers of the other, and share the store', async () => {
    const k = newKey();
    const a = await Relay.connect(urls[0]!);
    const b = await Relay.connect(urls[1]!);
    const got: string[] = [];
    await new Promise<void>((resolve) => b.subscribe([{ authors: [k.pk] }], { onevent: (e) => got.push(e.id), oneose: resolve }));
    const e = sign(k, { kind: 1, content: 'across processes' });
    await a.publish(e);
    await expect.poll(() => got).toEqual([e.id]);
    // Ephemeral events cross too, and the window is shared.
    const eph = sign(k, { kind: 20001, content: 'ephemeral' });
    await a.publish(eph);
    await expect.poll(() => got).toEqual([e.id, eph.id]);
    const late = await WireClient.open(urls[1]!);
    expect((await late.query('late', { kinds: [20001], authors: [k.pk], since: eph.created_at - 1 })).events.map((x) => x.id)).toEqual([eph.id]);
    expect((await late.query('stored', { ids: [e.id] })).events).toHaveLength(1);
    a.close(); b.close(); late.close();
  });

  it('agree on one newest replaceable event when both take writes for the same key at once', async () => {
    const k = newKey();
    const clients = await Promise.all([...urls, ...urls].map((u) => WireClient.open(u)));
    const t = Math.floor(Date.now() / 1000) - 30;
    const events = Array.from({ length: 24 }, (_, i) => sign(k, { kind: 3, content: String(i), tags: [['p', k.pk]], created_at: t + (i % 5) }));
    await Promise.all(events.map((e, i) => clients[i % clients.length]!.publish(e)));
    const newest = [...events].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))[0]!;
    for (const c of clients.slice(0, 2)) expect((await c.query('k3', { kinds: [3], authors: [k.pk] })).events.map((e) => e.id)).toEqual([newest.id]);
    expect((await db.sql`select 1 from relay_events where kind = 3 and pubkey = ${Buffer.from(k.pk, 'hex')}`).length).toBe(1);
    expect((await db.sql`select 1 from relay_tags t join relay_events e on e.id = t.event_id where e.kind = 3 and e.pubkey = ${Buffer.from(k.pk, 'hex')}`).length).toBe(1);
    expect((await db.sql`select 1 from relay_tags where kind = 3 and value = ${k.pk}`).length).toBe(1);
    for (const c of clients) c.close();
  });

  it('work with NDK as the client for publish and subscribe', async () => {
    const signer = NDKPrivateKeySigner.generate();
    const writer = new NDK({ explicitRelayUrls: [urls[0]!], signer, enableOutboxModel: false });
    const reader = new NDK({ explicitRelayUrls: [urls[1]!], enableOutboxModel: false });
    await Promise.all([writer.connect(5000), reader.connect(5000)]);
    const user = await signer.user();
    const seen: string[] = [];
    const sub = reader.subscribe({ kinds: [1], authors: [user.pubkey] }, { closeOnEose: false });
    sub.on('event', (e: NDKEvent) => { seen.push(e.content); });
    await new Promise<void>((resolve) => sub.on('eose', () => resolve()));
    const note = new NDKEvent(writer, { kind: 1, content: 'hello from NDK', tags: [] });
    const published = await note.publish();
    expect([...published].map((r) => r.url.replace(/\/$/, ''))).toEqual([urls[0]]);
    await expect.poll(() => seen).toEqual(['hello from NDK']);
    const fetched = await reader.fetchEvents({ ids: [note.id] });
    expect([...fetched].map((e) => e.content)).toEqual(['hello from NDK']);
    sub.stop();
    for (const n of [writer, reader]) for (const r of n.pool.relays.values()) r.disconnect();
  });

  it('serve NIP-11 over HTTP at the relay URL', async () => {
    const res = await fetch(urls[1]!.replace('ws://', 'http://'), { headers: { accept: 'application/nostr+json' } });
    expect((await res.json() as { supported_nips: number[] }).supported_nips).toContain(1);
  });
});
