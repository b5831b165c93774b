// What a rail runs in the workers role: its processors, watcher, reconciliation and schedules.
// The role runs a list of these (workers/role.ts); adding a rail is adding one entry.
import type { Context } from '../core/context.ts';
import type { Logger } from '../core/log.ts';
import type { Rail } from '../core/payments/rails.ts';

export interface RunningRail {
  /** Lines printed once the role is ready. */
  describe: string[];
  /** What the rail's backend holds, by source, for the solvency watchdog (workers/risk/watchdog.ts). */
  assets?(): Promise<Record<string, bigint>>;
  stop(): Promise<void>;
}

export interface RailWorkers {
  rail: Rail;
  start(ctx: Context, log: Logger): Promise<RunningRail>;
}

/** An integration the workers run besides the rails (it moves money through them). */
export type ServiceWorkers = (ctx: Context, log: Logger) => Promise<RunningRail>;

/**
 * Enqueues the rail's reconciliation job every RECONCILE_INTERVAL_SECONDS, one per interval
 * across every workers process (the job id names the interval). Returns the stop function.
 */
export function scheduleReconciliation(ctx: Context, rail: Rail, log: Logger): () => void {
  const seconds = ctx.config.RECONCILE_INTERVAL_SECONDS;
  const timer = setInterval(() => {
    const slot = Math.floor(Date.now() / (seconds * 1000));
    ctx.bus.enqueue(rail.reconcileJob, { olderThanSeconds: seconds }, { id: `reconcile-${slot}` })
      .catch((err: unknown) => log.error({ err, rail: rail.name }, 'could not schedule reconciliation'));
  }, seconds * 1000);
  return () => clearInterval(timer);
}
