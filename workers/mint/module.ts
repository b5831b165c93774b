// The mint in the workers role: the `mint` queue (eCash issued from balances; reconciliation)
// and, at start-up and every RECONCILE_INTERVAL_SECONDS, the melts whose Lightning payment has
// become final since (a crash, a restart, a payment that outlived its request) are finished.
import type { Context } from '../../core/context.ts';
import type { Logger } from '../../core/log.ts';
import { finishMelts } from '../../core/mint/nut05.ts';
import { ecashRail } from '../../core/mint/rail.ts';
import { pendingPayments } from '../../core/payments/outgoing.ts';
import { scheduleReconciliation, type RailWorkers } from '../module.ts';
import { redeemForeign } from './foreign.ts';
import { attemptIssue } from './issue.ts';

export async function reconcileMint(ctx: Context, olderThanSeconds: number): Promise<{ checked: number; finished: number }> {
  const melts = await finishMelts(ctx);
  const issues = await pendingPayments(ctx.sql, ecashRail, olderThanSeconds);
  let finished = melts.finished;
  for (const t of issues) if ((await attemptIssue(ctx, t.id)).status !== 'pending') finished++;
  if (melts.checked + issues.length) ctx.log.info({ melts, issues: issues.length, finished }, 'reconciled the mint');
  return { checked: melts.checked + issues.length, finished };
}

export function mintWorkers(): RailWorkers {
  return {
    rail: ecashRail,
    start: async (ctx: Context, log: Logger) => {
      const worker = ctx.bus.process('mint', {
        'mint.issue': async ({ transactionId }) => {
          const t = await attemptIssue(ctx, transactionId);
          return { status: t.status, feeMsat: t.feeMsat, reason: t.failureReason, message: t.failureMessage };
        },
        'mint.reconcile': ({ olderThanSeconds }) => reconcileMint(ctx, olderThanSeconds),
        'mint.redeemForeign': (p) => redeemForeign(ctx, p),
      }, { concurrency: 10 });
      const startup = reconcileMint(ctx, 0).catch((err: unknown) => log.error({ err }, 'start-up reconciliation of the mint failed'));
      const stopSchedule = scheduleReconciliation(ctx, ecashRail, log);
      return {
        describe: ['workers: mint queue (eCash issues, melts finished at start-up and every reconciliation)'],
        stop: async () => {
          stopSchedule();
          await worker.close();
          await startup;
        },
      };
    },
  };
}
