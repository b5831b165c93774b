// The solvency watchdog: every RISK_WATCH_INTERVAL_SECONDS one `risk.solvency` job (one per
// interval across the workers processes: the job id names the interval) compares liabilities
// with what the rails' backends hold. Short by more than RISK_MAX_DEFICIT_MSAT, it pauses
// outgoing payments on every rail and alerts the operators; only an operator resumes
// (`flash resume`), after finding the cause. A backend that cannot be read is alerted too.
import type { Context } from '../../core/context.ts';
import type { Logger } from '../../core/log.ts';
import { raiseAlert } from '../../core/risk/alerts.ts';
import { liabilities, solvencyReport, storeReport } from '../../core/risk/solvency.ts';
import { pause } from '../../core/risk/state.ts';
import type { RunningRail } from '../module.ts';

const sat = (m: bigint) => `${(m / 1000n).toLocaleString('en')} sat`;
const hourSlot = () => new Date().toISOString().slice(0, 13);

/** One check: the report, stored; payments paused when short. */
export async function checkSolvency(ctx: Context, rails: RunningRail[]): Promise<{ deficitMsat: bigint; paused: boolean }> {
  let assets: Record<string, bigint>;
  try {
    assets = Object.assign({}, ...await Promise.all(rails.map((r) => r.assets?.() ?? {}))) as Record<string, bigint>;
  } catch (err) {
    await raiseAlert(ctx, { key: `backend:${hourSlot()}`, kind: 'backend', text: `A backend could not be read for the solvency check: ${(err as Error).message}` });
    throw err;
  }
  const report = solvencyReport(await liabilities(ctx.sql), assets);
  await storeReport(ctx.sql, report);
  if (report.deficitMsat <= ctx.config.RISK_MAX_DEFICIT_MSAT) return { deficitMsat: report.deficitMsat, paused: false };
  const reason = `assets short of liabilities by ${sat(report.deficitMsat)} (liabilities ${sat(report.liabilities.totalMsat)}, assets ${sat(report.assetsMsat)})`;
  const paused = await pause(ctx.sql, { who: 'watchdog', via: 'system' }, reason);
  await raiseAlert(ctx, {
    key: `solvency:${hourSlot()}`, kind: 'solvency',
    text: `⚠️ Solvency watchdog: ${reason}. Outgoing payments on every rail are ${paused ? 'now' : 'still'} paused. Find the cause, then: flash resume`,
  });
  return { deficitMsat: report.deficitMsat, paused: true };
}

/** The `risk` queue's processor and the schedule. */
export function startWatchdog(ctx: Context, log: Logger, rails: RunningRail[]): { describe: string; stop(): Promise<void> } {
  const worker = ctx.bus.process('risk', { 'risk.solvency': () => checkSolvency(ctx, rails) }, { concurrency: 1 });
  const seconds = ctx.config.RISK_WATCH_INTERVAL_SECONDS;
  const timer = seconds > 0 ? setInterval(() => {
    const slot = Math.floor(Date.now() / (seconds * 1000));
    ctx.bus.enqueue('risk.solvency', {}, { id: `solvency-${slot}` }).catch((err: unknown) => log.error({ err }, 'could not schedule the solvency check'));
  }, seconds * 1000) : undefined;
  return {
    describe: seconds > 0 ? `workers: solvency watchdog every ${seconds} s` : 'workers: solvency watchdog off (RISK_WATCH_INTERVAL_SECONDS=0)',
    stop: async () => {
      clearInterval(timer);
      await worker.close();
    },
  };
}
