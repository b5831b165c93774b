// The `workers` role: every rail's processors, watchers and reconciliation (the only code that
// talks to money backends), plus the domain-event re-publisher.
import { flushEvents, pruneEvents, republishIfLost } from '../core/events.ts';
import type { Context } from '../core/context.ts';
import { pruneOldRows } from '../core/retention.ts';
import type { Role, RunningRole } from '../core/role.ts';
import { startBtcpayWorkers } from './btcpay/module.ts';
import { lightningWorkers } from './lightning/module.ts';
import { mintWorkers } from './mint/module.ts';
import { onchainWorkers } from './onchain/module.ts';
import type { RailWorkers, RunningRail, ServiceWorkers } from './module.ts';
import { startRules } from './risk/rules.ts';
import { startWatchdog } from './risk/watchdog.ts';

/** Every rail this service runs, in start-up order: adding a rail is adding its entry here. */
export const railWorkers = (): RailWorkers[] => [lightningWorkers(), mintWorkers(), onchainWorkers()];

/** What else the workers run: integrations that move money through the rails (BTCPay stores). */
export const serviceWorkers = (): ServiceWorkers[] => [startBtcpayWorkers];

export const workersRole: Role = async (ctx) => startWorkers(ctx, railWorkers(), serviceWorkers());

/** Runs the workers of `rails`, then `services` (tests pass rails on backends they control). */
export async function startWorkers(ctx: Context, rails: RailWorkers[], services: ServiceWorkers[] = []): Promise<RunningRole> {
  const log = ctx.log.child({ role: 'workers' });
  const running: RunningRail[] = [];
  try {
    for (const r of rails) running.push(await r.start(ctx, log.child({ rail: r.rail.name })));
    for (const start of services) running.push(await start(ctx, log));
  } catch (err) {
    for (const r of running.reverse()) await r.stop();
    throw err;
  }
  const events = { sql: ctx.sql, redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, log };
  const publishTimer = setInterval(() => void republishIfLost(events, ctx.config.EVENT_REPLAY_SECONDS)
    .catch((err: unknown) => log.warn({ err }, 'checking the event stream failed'))
    .then(() => flushEvents(events)), 1000);
  const prune = async () => {
    await pruneEvents(ctx.sql);
    log.info(await pruneOldRows(ctx.sql, ctx.config), 'pruned old rows');
  };
  const pruneTimer = setInterval(() => void prune().catch((err: unknown) => log.warn({ err }, 'pruning failed')), 3600_000);
  const watchdog = startWatchdog(ctx, log, running);
  const rules = await startRules(ctx, log);

  return {
    describe: [...running.flatMap((r) => r.describe), watchdog.describe],
    stop: async () => {
      for (const t of [publishTimer, pruneTimer]) clearInterval(t);
      await watchdog.stop();
      await rules.stop();
      for (const r of [...running].reverse()) await r.stop();
      await flushEvents(events);
    },
  };
}
