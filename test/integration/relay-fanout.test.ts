// The relay's cross-process fan-out on real Redis: the ephemeral window a new subscription reads
// must hold every ephemeral event that went live before the subscription existed.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { Fanout } from '../../relay/fanout.ts';
import type { Accepted } from '../../relay/types.ts';
import { redisUrl, uniqueName } from '../support/db.ts';
import { newKey, sign } from '../support/relay.ts';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function fanout(prefix: string, onRemote: (events: Accepted[]) => void = () => {}, redis = new Redis(redisUrl())): Promise<Fanout> {
  const f = new Fanout({ redis, prefix, windowSeconds: 60, windowMax: 10, windowMaxBytes: 2048, log, onRemote, onPolicyChange: () => {} });
  await f.start();
  cleanup.push(async () => { await f.stop(); redis.disconnect(); });
  return f;
}

const request = () => {
  const event = sign(newKey(), { kind: 23194, tags: [['p', 'a'.repeat(64)]], content: 'x' });
  return { event, raw: JSON.stringify(event) };
};

describe('relay fan-out', () => {
  it('returns an ephemeral event accepted in this tick from the window, before it is written to Redis', async () => {
    const f = await fanout(uniqueName('t'));
    const acc = request();
    f.publish(acc, true);
    const [byKind, byAuthor] = await Promise.all([f.recentEphemeral([{ kind: 23194, limit: 10 }]), f.recentEphemeral([{ kind: 23194, author: acc.event.pubkey, limit: 10 }])]);
    expect(byKind.map((a) => a.event.id)).toEqual([acc.event.id]);
    expect(byAuthor.map((a) => a.event.id)).toEqual([acc.event.id]);
    expect(await f.recentEphemeral([{ kind: 23194, author: 'b'.repeat(64), limit: 10 }])).toEqual([]);
    // Once written, it is there once (not also from the local list).
    await expect.poll(async () => (await f.recentEphemeral([{ kind: 23194, limit: 10 }])).length).toBe(1);
  });

  it('has an event in the window by the time another process hears of it', async () => {
    const prefix = uniqueName('t');
    const a = await fanout(prefix);
    const found: string[][] = [];
    const b: Fanout = await fanout(prefix, (events) => {
      void b.recentEphemeral([{ kind: 23194, limit: 10 }]).then((w) => found.push(events.filter((e) => w.some((x) => x.event.id === e.event.id)).map((e) => e.event.id)));
    });
    const sent = Array.from({ length: 5 }, request);
    for (const acc of sent) a.publish(acc, true);
    await expect.poll(() => found.flat().length).toBe(sent.length);
  });

  it('keeps at most windowMax events of at most windowMaxBytes per key, and reads only the newest asked for', async () => {
    const prefix = uniqueName('t');
    const redis = new Redis(redisUrl());
    const f = await fanout(prefix, undefined, redis);
    const author = newKey();
    const sent = Array.from({ length: 30 }, (_, i) => {
      const event = sign(author, { kind: 20001, content: `n${i}` });
      return { event, raw: JSON.stringify(event) };
    });
    for (const acc of sent) {
      f.publish(acc, true);
      await new Promise((resolve) => setImmediate(resolve)); // one flush each: distinct scores
    }
    const big = sign(author, { kind: 20001, content: 'x'.repeat(4096) });
    f.publish({ event: big, raw: JSON.stringify(big) }, true);
    const keys = [`${prefix}:relay:ephemeral:20001`, `${prefix}:relay:ephemeral:20001:${author.pk}`];
    await expect.poll(async () => Promise.all(keys.map((k) => redis.zcard(k)))).toEqual([10, 10]);
    expect(await redis.zrange(keys[0]!, '0', '-1')).not.toContain(JSON.stringify(big));
    const newest = await f.recentEphemeral([{ kind: 20001, author: author.pk, limit: 5 }]);
    expect(newest.map((a) => a.event.content)).toEqual(['n29', 'n28', 'n27', 'n26', 'n25']);
  });
});
