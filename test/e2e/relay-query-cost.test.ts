// The work one REQ, COUNT or NEG-OPEN may cause is bounded before any lookup: a flood of
// costly requests neither reaches the store nor the Redis that payments' queues share.
import { randomBytes } from 'node:crypto';
import { nip77 } from 'nostr-tools';
import type { Command } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../core/log.ts';
import { defineJob, JobBus } from '../../core/queue.ts';
import { redisUrl, uniqueName } from '../support/db.ts';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const hexes = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString('hex'));
/** The example: 1,000 ephemeral kinds × 1,000 authors, a 73 KB message. */
const costly = () => ({ kinds: range(20_000, 1000), authors: hexes(1000) });

let relay: TestRelay;
/** Redis commands the relay sent, by name (a wrapper around the relay's own connection). */
const sent = new Map<string, number>();
beforeAll(async () => {
  relay = await startTestRelay();
  const redis = relay.ctx.redis;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (cmd: Command, ...rest: unknown[]) => {
    sent.set(cmd.name, (sent.get(cmd.name) ?? 0) + 1);
    return (send as (c: Command, ...r: unknown[]) => unknown)(cmd, ...rest);
  };
});
afterAll(async () => relay.close());

const windowReads = () => (sent.get('zrangebyscore') ?? 0) + (sent.get('zrevrangebyscore') ?? 0);

describe('query cost', () => {
  it('refuses a REQ of 1,000 ephemeral kinds × 1,000 authors before any lookup', async () => {
    const c = await WireClient.open(relay.url);
    const before = windowReads();
    const r = await c.query('big', costly());
    expect(r.closed).toMatch(/^blocked: this request needs 1000000 index lookups/);
    expect(windowReads()).toBe(before);
    c.close();
  });

  it('refuses costly stored reads in COUNT and NEG-OPEN too, and serves reads within the bound', async () => {
    const c = await WireClient.open(relay.url);
    const stored = { kinds: range(2000, 200), authors: hexes(200) }; // 40,000 index probes
    c.send(['COUNT', 'n', stored]);
    expect((await c.next((m) => m[0] === 'CLOSED' && m[1] === 'n'))[2]).toMatch(/^blocked:/);
    const storage = new nip77.NegentropyStorageVector();
    storage.seal();
    c.send(['NEG-OPEN', 'g', stored, new nip77.Negentropy(storage).initiate()]);
    expect((await c.next((m) => m[0] === 'NEG-ERR' && m[1] === 'g'))[2]).toMatch(/^blocked:/);

    const k = newKey();
    const note = sign(k, { kind: 1, content: 'in reach' });
    await c.publish(note);
    expect((await c.query('ok', { kinds: [1, 6], authors: [...hexes(999), k.pk] })).events.map((e) => e.id)).toEqual([note.id]);
    // limit 0 asks for live events only: no lookups, so no cost.
    expect((await c.query('live', { ...stored, limit: 0 })).closed).toBeUndefined();
    c.close();
  });

  it('a flood of costly REQs leaves payments\' queues on the same Redis running', async () => {
    const jobs = { 'pay.settle': defineJob({ queue: 'lightning', payload: z.object({ n: z.number() }), result: z.object({ n: z.number() }) }) };
    const bus = new JobBus(jobs, { redisUrl: redisUrl(), prefix: uniqueName('t'), log: createLogger({ level: 'silent', pretty: false }) });
    bus.process('lightning', { 'pay.settle': async ({ n }) => ({ n }) }, { concurrency: 1 });
    try {
      const clients = await Promise.all(range(0, 5).map(() => WireClient.open(relay.url)));
      const before = windowReads();
      const messages = JSON.stringify(['REQ', 'flood', costly()]);
      const floods = clients.map(async (c) => {
        for (let i = 0; i < 10; i++) {
          const from = c.received.length;
          c.send(messages);
          await c.next((m) => m[0] === 'CLOSED' && m[1] === 'flood', from);
        }
      });
      const payments = Promise.all(range(0, 20).map((n) => bus.call('pay.settle', { n }, { id: `p-${n}`, timeoutMs: 20_000 })));
      await Promise.all(floods);
      expect((await payments).map((r) => r.n)).toEqual(range(0, 20));
      // Fifty REQs of a million window reads each: none was made.
      expect(windowReads()).toBe(before);
      for (const c of clients) c.close();
    } finally {
      await bus.close();
    }
  });
});
