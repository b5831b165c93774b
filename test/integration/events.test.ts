import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { consumeEvents, defineEvent, flushEvents, recordEvent, republishIfLost, streamKey, type EventOf } from '../../core/events.ts';
import { paymentEvents, paymentFailed, type PaymentEvent, type PaymentEventInput } from '../../core/payments/events.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext(); });
afterAll(async () => ctx.close());

const deps = () => ({ sql: ctx.sql, redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, log: ctx.log });
const sample = (n: number, type: PaymentEventInput['type'] = 'payment.received'): PaymentEventInput => ({
  type, accountId: `acct-${n}`, transactionId: `tx-${n}`, kind: 'lightning', amountMsat: 2n ** 60n + BigInt(n), feeMsat: 0n, paymentHash: 'ab'.repeat(32),
});
const record = (...events: PaymentEventInput[]) => ctx.sql.begin(async (tx) => { for (const e of events) await recordEvent(tx, e); });
const streamLength = () => ctx.redis.xlen(streamKey(ctx.config.REDIS_PREFIX));

describe('domain events', () => {
  it('publishes committed events once, and nothing of a rolled-back transaction', async () => {
    await ctx.sql.begin(async (tx) => {
      await recordEvent(tx, sample(0));
      throw new Error('rollback');
    }).catch(() => {});
    await record(sample(1), sample(2));
    expect(await streamLength()).toBe(0);
    // As after a crash between commit and publish: the re-publisher finds them.
    await flushEvents(deps());
    await flushEvents(deps());
    expect(await streamLength()).toBe(2);
    expect((await ctx.sql`select 1 from event_outbox where published_at is null`).length).toBe(0);
  });

  it('delivers every event to every group, shared among a group\'s consumers, with bigints intact', async () => {
    const seen = { a: [] as PaymentEvent[], b: [] as PaymentEvent[], c: [] as PaymentEvent[] };
    const start = (group: string, consumer: keyof typeof seen) => consumeEvents({
      redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group, consumer, startAt: '0', blockMs: 100, log: ctx.log, events: paymentEvents,
      handler: async (e) => { seen[consumer].push(e); },
    });
    const consumers = await Promise.all([start('g1', 'a'), start('g1', 'b'), start('g2', 'c')]);
    await record(...Array.from({ length: 20 }, (_, i) => sample(10 + i)));
    await flushEvents(deps());
    await expect.poll(() => seen.a.length + seen.b.length).toBe(22);
    await expect.poll(() => seen.c.length).toBe(22);
    expect(new Set([...seen.a, ...seen.b].map((e) => e.id)).size).toBe(22);
    expect(seen.c.find((e) => e.transactionId === 'tx-10')).toMatchObject({ amountMsat: 2n ** 60n + 10n, occurredAt: expect.any(Date) });
    await Promise.all(consumers.map((c) => c.stop()));
  });

  it('after Redis lost its data: publishes the recent events again, and consumers read the new stream', async () => {
    // The earlier tests' events were published long ago.
    await ctx.sql`update event_outbox set published_at = now() - interval '1 hour' where published_at is not null`;
    const seen: string[] = [];
    const consumer = await consumeEvents({
      redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'g-loss', consumer: 'c', startAt: '$', blockMs: 100, log: ctx.log, events: paymentEvents,
      handler: async (e) => { seen.push(e.transactionId); },
    });
    expect(await republishIfLost(deps(), 600)).toBe(0); // sets the marker; nothing recent
    expect(await republishIfLost(deps(), 600)).toBe(0);
    await record(sample(50));
    await flushEvents(deps());
    await expect.poll(() => seen).toEqual(['tx-50']);
    // Published, then lost before the consumer read it: what FLUSHALL does to this prefix's keys.
    await record(sample(51));
    await flushEvents(deps());
    await ctx.redis.del(streamKey(ctx.config.REDIS_PREFIX), `${streamKey(ctx.config.REDIS_PREFIX)}:alive`);
    expect(await republishIfLost(deps(), 600)).toBe(2);
    await flushEvents(deps());
    await record(sample(52));
    await flushEvents(deps());
    // Everything recent again (the consumer dedupes by id as real ones do), older events not.
    await expect.poll(() => seen.includes('tx-51') && seen.includes('tx-52')).toBe(true);
    expect(seen).not.toContain('tx-10');
    await consumer.stop();
  });

  it('retries an event whose handler failed (a crashed consumer\'s events are claimed), and skips malformed entries', async () => {
    let failures = 0;
    const handled: string[] = [];
    const consumer = await consumeEvents({
      redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'g3', consumer: 'flaky', startAt: '$', blockMs: 100, claimIdleMs: 200,
      events: [paymentFailed], log: ctx.log,
      handler: async (e) => {
        if (failures++ === 0) throw new Error('DM relay down');
        handled.push(e.transactionId);
      },
    });
    await ctx.redis.xadd(streamKey(ctx.config.REDIS_PREFIX), '*', 'type', 'payment.sent', 'data', '{not json');
    await record(sample(100, 'payment.failed'), sample(101, 'payment.sent'));
    await flushEvents(deps());
    await expect.poll(() => handled, { timeout: 5000 }).toEqual(['tx-100']);
    await consumer.stop();
    const pending = (await ctx.redis.xpending(streamKey(ctx.config.REDIS_PREFIX), 'g3')) as [number];
    expect(pending[0]).toBe(0);
  });

  it('leaves events another publisher claimed to it, and publishes them once the claim has ended (that publisher died)', async () => {
    await record(sample(50));
    const before = await streamLength();
    await ctx.sql`update event_outbox set claimed_until = now() + interval '1 hour' where published_at is null`;
    await flushEvents(deps());
    expect(await streamLength()).toBe(before);
    await ctx.sql`update event_outbox set claimed_until = now() - interval '1 second' where published_at is null`;
    await flushEvents(deps());
    expect(await streamLength()).toBe(before + 1);
    expect((await ctx.sql`select 1 from event_outbox where published_at is null`).length).toBe(0);
  });

  it('is an open registry: a new type is recorded and consumed by its own subscribers only; an unregistered type is refused', async () => {
    const deposit = defineEvent('test.deposit_seen', { txid: z.string(), amountMsat: z.coerce.bigint() });
    expect(() => defineEvent('test.deposit_seen', {})).toThrow(/defined twice/);
    await expect(ctx.sql.begin((tx) => recordEvent(tx, { type: 'test.no_such_event' }))).rejects.toThrow(/not defined/);
    const deposits: Array<EventOf<typeof deposit>> = [];
    const payments: PaymentEvent[] = [];
    const consumers = await Promise.all([
      consumeEvents({ redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'g-deposits', consumer: 'd', startAt: '$', blockMs: 100, log: ctx.log,
        events: [deposit], handler: async (e) => { deposits.push(e); } }),
      consumeEvents({ redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'g-payments', consumer: 'p', startAt: '$', blockMs: 100, log: ctx.log,
        events: paymentEvents, handler: async (e) => { payments.push(e); } }),
    ]);
    await ctx.sql.begin((tx) => recordEvent(tx, { type: deposit.type, txid: 'aa'.repeat(32), amountMsat: (2n ** 62n).toString() }, sample(200)));
    await flushEvents(deps());
    await expect.poll(() => deposits.length + payments.length).toBe(2);
    expect(deposits[0]).toMatchObject({ type: 'test.deposit_seen', txid: 'aa'.repeat(32), amountMsat: 2n ** 62n });
    expect(payments.map((e) => e.transactionId)).toEqual(['tx-200']);
    await Promise.all(consumers.map((c) => c.stop()));
  });
});
