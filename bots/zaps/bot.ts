// The zapper: its key signs every zap receipt (the `nostrPubkey` of our lightning addresses).
// While an instance leads for it, it consumes payment.received to issue receipts and runs
// the `zaps` queue (receipt publishing, business batches).
import { hostname } from 'node:os';
import type { Context } from '../../core/context.ts';
import { consumeEvents } from '../../core/events.ts';
import { paymentReceived } from '../../core/payments/events.ts';
import type { Logger } from '../../core/log.ts';
import type { Signer } from 'nostr-tools/signer';
import type { RelayPool } from '../../core/nostr/pool.ts';
import type { BotModule } from '../bot.ts';
import { addressDomain } from '../../core/addresses/addresses.ts';
import { runBatchAttempt } from '../../core/business/batches.ts';
import { enqueuePending, onZapPaid, publishReceipt, type PublishTo } from './receipts.ts';

const QUEUE_CONCURRENCY = 64;

export interface Zapper { stop(): Promise<void> }

/** Starts receipt issuing and the `zaps` queue; receipts reach relays through `pool`, one relay per attempt. */
export async function startZapper(ctx: Context, opts: { key: { signer: Signer }; pool: Pick<RelayPool, 'publish'>; log: Logger }): Promise<Zapper> {
  const publish: PublishTo = async (event, relay) => (await opts.pool.publish(event, [relay]))[0]!;
  const worker = ctx.bus.process('zaps', {
    'zaps.publishReceipt': async (job) => ({ status: await publishReceipt(ctx, publish, job) }),
    'zaps.batch': async ({ batchId }, job) => runBatchAttempt(ctx, batchId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
  }, { concurrency: QUEUE_CONCURRENCY });
  const consumer = await consumeEvents({
    redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'zaps', consumer: `${hostname()}:${process.pid}`,
    events: [paymentReceived], startAt: '0', log: opts.log,
    handler: async (event) => { await onZapPaid(ctx, opts.key, event); },
  });
  // Deliveries whose job was lost with a crashed instance carry on from where they were.
  await enqueuePending(ctx);
  return { stop: async () => { await consumer.stop(); await worker.close(); } };
}

export const zapperBot: BotModule = {
  name: 'zapper',
  title: 'Zapper',
  configuredKey: (config) => config.ZAP_NSEC,
  profile: (config) => ({
    name: 'Flash zaps',
    about: `Signs the zap receipts of lightning addresses at ${addressDomain(config)}.`,
  }),
  start: async ({ ctx, key, pool, log }) => startZapper(ctx, { key, log, pool }),
};
