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

async function fanout(prefix: string, onRemote: (events: Accepted[]) => void = () => {}): Promise<Fanout> {
  const redis = new Redis(redisUrl());
  const f = new Fanout({ redis, prefix, windowSeconds: 60, log, onRemote, onPolicyChange: () => {} });
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
    const [byKind, byAuthor] = await Promise.all([f.recentEphemeral([{ kind: 23194 }]), f.recentEphemeral([{ kind: 23194, author: acc.event.pubkey }])]);
    expect(byKind.map((a) => a.event.id)).toEqual([acc.event.id]);
    expect(byAuthor.map((a) => a.event.id)).toEqual([acc.event.id]);
    expect(await f.recentEphemeral([{ kind: 23194, author: 'b'.repeat(64) }])).toEqual([]);
    // Once written, it is there once (not also from the local list).
    await expect.poll(async () => (await f.recentEphemeral([{ kind: 23194 }])).length).toBe(1);
  });

  it('has an event in the window by the time another process hears of it', async () => {
    const prefix = uniqueName('t');
    const a = await fanout(prefix);
    const found: string[][] = [];
    const b: Fanout = await fanout(prefix, (events) => {
      void b.recentEphemeral([{ kind: 23194 }]).then((w) => found.push(events.filter((e) => w.some((x) => x.event.id === e.event.id)).map((e) => e.event.id)));
    });
    const sent = Array.from({ length: 5 }, request);
    for (const acc of sent) a.publish(acc, true);
    await expect.poll(() => found.flat().length).toBe(sent.length);
  });
});
