// Leader lease on a real Redis, with competing instances on their own connections.
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { LeaderElection } from '../../core/nostr/leader.ts';
import { redisUrl, uniqueName } from '../support/db.ts';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const TTL = 600;
const cleanup: Array<() => unknown> = [];
const admin = new Redis(redisUrl());
const keys: string[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });
afterAll(async () => { await admin.del(...keys.flatMap((k) => [k, `${k}:fence`])); admin.disconnect(); });
const leaseKey = () => { keys.push(uniqueName('test:leader')); return keys.at(-1)!; };

/** A competitor with its own Redis connection, recording into a shared timeline. */
function competitor(name: string, key: string, timeline: string[], ttlMs = TTL) {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const fences: number[] = [];
  const election = new LeaderElection({
    redis, key, log, ttlMs,
    lead: async (lease) => {
      timeline.push(`${name} leads`);
      fences.push(lease.fence);
      return { stop: async () => { timeline.push(`${name} stops`); } };
    },
  });
  cleanup.push(async () => { await election.stop(); redis.disconnect(); });
  return { election, redis, fences };
}

describe('leader election', () => {
  it('keeps one leader while it renews; a standby takes over with a higher fence when the leader dies', async () => {
    const key = leaseKey();
    const timeline: string[] = [];
    const a = competitor('A', key, timeline);
    await a.election.start();
    await expect.poll(() => timeline).toEqual(['A leads']);
    const b = competitor('B', key, timeline);
    await b.election.start();
    const renewedBefore = a.election.renewals;
    await expect.poll(() => a.election.renewals).toBeGreaterThanOrEqual(renewedBefore + 4); // > one TTL later
    expect(b.election.isLeader).toBe(false);
    expect(timeline).toEqual(['A leads']);

    // A loses Redis (as a crashed or partitioned process would): it steps down on its own
    // before its lease expires, and only then can B take over.
    a.redis.disconnect();
    await expect.poll(() => timeline, { timeout: 5_000 }).toEqual(['A leads', 'A stops', 'B leads']);
    expect(b.fences[0]).toBe(a.fences[0]! + 1);
    expect(a.election.isLeader).toBe(false);
  });

  it('a standby tries again the moment a dead leader\'s lease runs out, not a third of its own TTL later', async () => {
    const key = leaseKey();
    // A leader killed with 300 ms left on its lease, as fence 7.
    await admin.set(key, 'dead:7', 'PX', 300);
    await admin.set(`${key}:fence`, 7);
    const timeline: string[] = [];
    const b = competitor('B', key, timeline, 60_000);
    await b.election.start();
    expect(timeline).toEqual([]);
    await expect.poll(() => timeline, { timeout: 5_000 }).toEqual(['B leads']);
    expect(b.fences).toEqual([8]);
  });

  it('fences keep growing when Redis loses the lease and the counter', async () => {
    const key = leaseKey();
    const timeline: string[] = [];
    const a = competitor('A', key, timeline);
    await a.election.start();
    await expect.poll(() => timeline).toEqual(['A leads']);
    await admin.del(key, `${key}:fence`); // what FLUSHALL or an empty replacement does to them
    await expect.poll(() => timeline).toEqual(['A leads', 'A stops', 'A leads']);
    expect(a.fences[1]).toBeGreaterThan(a.fences[0]!);
  });

  it('hands over at once on a graceful stop', async () => {
    const key = leaseKey();
    const timeline: string[] = [];
    const a = competitor('A', key, timeline);
    await a.election.start();
    const b = competitor('B', key, timeline);
    await b.election.start();
    await expect.poll(() => timeline).toEqual(['A leads']);
    await a.election.stop();
    expect(timeline).toEqual(['A leads', 'A stops']);
    expect(await b.redis.exists(key)).toBe(0);
    await expect.poll(() => timeline).toEqual(['A leads', 'A stops', 'B leads']);
  });

  it('steps down when its lease was taken over, and never deletes a lease it does not own', async () => {
    const key = leaseKey();
    const timeline: string[] = [];
    const a = competitor('A', key, timeline);
    await a.election.start();
    await expect.poll(() => timeline).toEqual(['A leads']);
    await a.redis.set(key, 'someone-else:99', 'PX', 60_000);
    await expect.poll(() => timeline).toEqual(['A leads', 'A stops']);
    await a.election.stop();
    expect(await a.redis.get(key)).toBe('someone-else:99');
  });

  it('elects exactly one of many instances starting at once', async () => {
    const key = leaseKey();
    const timeline: string[] = [];
    const all = Array.from({ length: 6 }, (_, i) => competitor(`I${i}`, key, timeline));
    await Promise.all(all.map((c) => c.election.start()));
    await expect.poll(() => timeline.length).toBe(1);
    const leader = all.find((c) => c.election.isLeader)!;
    await expect.poll(() => leader.election.renewals).toBeGreaterThanOrEqual(3);
    expect(all.filter((c) => c.election.isLeader)).toHaveLength(1);
    expect(timeline).toHaveLength(1);
  });

  it('a Redis that takes commands and never answers holds neither the campaign nor stop', async () => {
    // As a replaced or wedged server looks to ioredis: connected, commands written, no reply.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    cleanup.push(() => { for (const s of sockets) s.destroy(); silent.close(); });
    const redis = new Redis({ host: '127.0.0.1', port, enableReadyCheck: false, maxRetriesPerRequest: null });
    cleanup.push(() => redis.disconnect());
    const timeline: string[] = [];
    const election = new LeaderElection({
      redis, key: leaseKey(), log, ttlMs: TTL,
      lead: async () => { timeline.push('leads'); return { stop: async () => {} }; },
    });
    await election.start();
    expect(election.isLeader).toBe(false);
    await election.stop();
    expect(timeline).toEqual([]);
    expect(sockets.length).toBeGreaterThan(0);
  });

  it('steps down and stops even when its work never finishes stopping', async () => {
    const key = leaseKey();
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    cleanup.push(() => redis.disconnect());
    let stopping = 0;
    const election = new LeaderElection({
      redis, key, log, ttlMs: TTL, stopGraceMs: 200,
      lead: async () => ({ stop: () => { stopping++; return new Promise<void>(() => {}); } }),
    });
    await election.start();
    await expect.poll(() => election.isLeader).toBe(true);
    await redis.set(key, 'someone-else:99', 'PX', 60_000);
    await expect.poll(() => stopping).toBe(1);
    await election.stop();
    expect(election.isLeader).toBe(false);
    expect(await redis.get(key)).toBe('someone-else:99');
  });
});

