// The `workers` role: BullMQ processors, the only code that talks to money backends, plus the
// invoice watcher, payment reconciliation and the domain-event re-publisher.
import { flushEvents, pruneEvents, republishIfLost } from '../core/events.ts';
import type { Context } from '../core/context.ts';
import type { Role, RunningRole } from '../core/role.ts';
import { openLightningBackend } from './lightning/backend.ts';
import type { LightningBackend } from './lightning/port.ts';
import { lightningHandlers } from './lightning/processors.ts';
import { reconcile } from './lightning/reconcile.ts';
import { watchInvoices } from './lightning/watcher.ts';

export const workersRole: Role = async (ctx) => startWorkers(ctx, await openLightningBackend(ctx));

/** Runs the workers on a given backend (tests pass a fake node they can inject faults into). */
export async function startWorkers(ctx: Context, backend: LightningBackend): Promise<RunningRole> {
  const log = ctx.log.child({ role: 'workers' });
  const info = await backend.getInfo();
  if (info.network !== ctx.config.NETWORK) {
    await backend.close();
    throw new Error(`the ${backend.kind} Lightning node ${info.pubkey} is on ${info.network}, but NETWORK=${ctx.config.NETWORK}`);
  }
  const worker = ctx.bus.process('lightning', lightningHandlers(ctx, backend), { concurrency: ctx.config.LIGHTNING_CONCURRENCY });
  const watcher = watchInvoices(ctx, backend);
  // What a previous run left pending (this may be the process that crashed) is finished now.
  const startup = reconcile(ctx, backend, 0).catch((err: unknown) => log.error({ err }, 'start-up reconciliation failed'));

  const intervalMs = ctx.config.RECONCILE_INTERVAL_SECONDS * 1000;
  const reconcileTimer = setInterval(() => {
    // One job per interval across every workers process.
    const slot = Math.floor(Date.now() / intervalMs);
    ctx.bus.enqueue('lightning.reconcile', { olderThanSeconds: ctx.config.RECONCILE_INTERVAL_SECONDS }, { id: `reconcile-${slot}` })
      .catch((err: unknown) => log.error({ err }, 'could not schedule reconciliation'));
  }, intervalMs);
  const events = { sql: ctx.sql, redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, log };
  const publishTimer = setInterval(() => void republishIfLost(events, ctx.config.EVENT_REPLAY_SECONDS)
    .catch((err: unknown) => log.warn({ err }, 'checking the event stream failed'))
    .then(() => flushEvents(events)), 1000);
  const pruneTimer = setInterval(() => void pruneEvents(ctx.sql).catch((err: unknown) => log.warn({ err }, 'pruning events failed')), 3600_000);

  return {
    describe: [`workers: lightning queue on the ${backend.kind} node ${info.pubkey} (concurrency ${ctx.config.LIGHTNING_CONCURRENCY})`],
    stop: async () => {
      for (const t of [reconcileTimer, publishTimer, pruneTimer]) clearInterval(t);
      await watcher.stop();
      await worker.close();
      await startup;
      await backend.close();
      await flushEvents(events);
    },
  };
}
