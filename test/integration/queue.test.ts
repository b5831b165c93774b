import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../core/log.ts';
import { defineJob, JobBus, JobFailedError, QueueTimeoutError, QueueUnavailableError } from '../../core/queue.ts';
import { freePort } from '../support/process.ts';
import { redisUrl, uniqueName } from '../support/db.ts';

const msat = z.coerce.bigint();
const calls = new Map<string, number>();
const jobs = {
  'math.double': defineJob({ queue: 'math', payload: z.object({ amountMsat: msat, tag: z.string() }), result: z.object({ doubled: msat }) }),
  'math.flaky': defineJob({ queue: 'math', payload: z.object({ tag: z.string() }), result: z.object({ attempts: z.number() }), attempts: 3 }),
  'math.broken': defineJob({ queue: 'math', payload: z.object({}), result: z.object({}) }),
  'math.slow': defineJob({ queue: 'math', payload: z.object({ ms: z.number() }), result: z.object({}) }),
};

let bus: JobBus<typeof jobs>;
beforeAll(() => {
  bus = new JobBus(jobs, { redisUrl: redisUrl(), prefix: uniqueName('t'), log: createLogger({ level: 'silent', pretty: false }) });
  const count = (tag: string) => calls.set(tag, (calls.get(tag) ?? 0) + 1).get(tag)!;
  bus.process('math', {
    'math.double': async ({ amountMsat, tag }) => {
      count(tag);
      await new Promise((r) => setTimeout(r, 50));
      return { doubled: amountMsat * 2n };
    },
    'math.flaky': async ({ tag }) => {
      const n = count(tag);
      if (n < 3) throw new Error(`transient ${n}`);
      return { attempts: n };
    },
    'math.broken': async () => { throw new Error('backend says no'); },
    'math.slow': async ({ ms }) => { await new Promise((r) => setTimeout(r, ms)); return {}; },
  }, { concurrency: 8 });
});
afterAll(async () => bus.close());

describe('job bus', () => {
  it('round-trips typed payloads and results, bigints intact', async () => {
    const big = 2n ** 62n + 1n;
    const r = await bus.call('math.double', { amountMsat: big, tag: 'a' }, { id: 'rt-1', timeoutMs: 5000 });
    expect(r.doubled).toBe(big * 2n);
  });

  it('runs a job id once however often it is enqueued', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () =>
      bus.call('math.double', { amountMsat: 5n, tag: 'once' }, { id: 'same-id', timeoutMs: 5000 })));
    expect(results.every((r) => r.doubled === 10n)).toBe(true);
    // Again after completion: the finished job answers; nothing runs.
    expect((await bus.call('math.double', { amountMsat: 5n, tag: 'once' }, { id: 'same-id', timeoutMs: 5000 })).doubled).toBe(10n);
    expect(calls.get('once')).toBe(1);
  });

  it('rejects an invalid payload before it reaches Redis', async () => {
    await expect(bus.enqueue('math.double', { amountMsat: 'lots' as never, tag: 'x' }, { id: 'bad' })).rejects.toThrow();
    expect(await bus.getJob('math.double', 'bad')).toBeUndefined();
  });

  it('retries a retryable job with backoff', async () => {
    const r = await bus.call('math.flaky', { tag: 'flaky' }, { id: 'flaky-1', timeoutMs: 10_000 });
    expect(r.attempts).toBe(3);
  });

  it('keeps the error of a failed job', async () => {
    await expect(bus.call('math.broken', {}, { id: 'broken-1', timeoutMs: 5000 })).rejects.toThrow(JobFailedError);
    const job = await bus.getJob('math.broken', 'broken-1');
    expect(job?.failedReason).toBe('backend says no');
  });

  it('reports a timeout as unknown, and the job still finishes', async () => {
    await expect(bus.call('math.slow', { ms: 400 }, { id: 'slow-1', timeoutMs: 50 })).rejects.toThrow(QueueTimeoutError);
    const job = await bus.getJob('math.slow', 'slow-1');
    await expect.poll(async () => job!.getState(), { timeout: 3000 }).toBe('completed');
  });

  it('hashes ids BullMQ would refuse', async () => {
    const r = await bus.call('math.double', { amountMsat: 1n, tag: 'colon' }, { id: 'nwc:event:abc', timeoutMs: 5000 });
    expect(r.doubled).toBe(2n);
  });

  it('gives up on an unreachable Redis instead of waiting for ever: enqueue and call alike', async () => {
    const dead = new JobBus(jobs, { redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: uniqueName('t'), log: createLogger({ level: 'silent', pretty: false }), addTimeoutMs: 200 });
    await expect(dead.enqueue('math.double', { amountMsat: 1n, tag: 'dead' }, { id: 'dead-1' })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(dead.call('math.double', { amountMsat: 1n, tag: 'dead' }, { id: 'dead-2', timeoutMs: 200 })).rejects.toBeInstanceOf(QueueTimeoutError);
    // Not awaited: closing waits for a connection that never comes.
    void dead.close().catch(() => {});
  });
});
