// The Lightning rail in the workers role: the `lightning` and `lightning-invoices` queues'
// processors on a node (LND or the embedded fake), the invoice watcher, and reconciliation at
// start-up and on a schedule.
import type { Context } from '../../core/context.ts';
import { lightningRail } from '../../core/lightning/rail.ts';
import type { Logger } from '../../core/log.ts';
import { scheduleReconciliation, type RailWorkers } from '../module.ts';
import { openLightningBackend } from './backend.ts';
import type { LightningBackend } from './port.ts';
import { lightningHandlers } from './processors.ts';
import { reconcile } from './reconcile.ts';
import { watchInvoices } from './watcher.ts';

/** On the configured node, or on `node` (tests pass a fake node they can inject faults into). */
export function lightningWorkers(node?: LightningBackend): RailWorkers {
  return {
    rail: lightningRail,
    start: async (ctx: Context, log: Logger) => {
      const backend = node ?? await openLightningBackend(ctx);
      const info = await backend.getInfo();
      if (info.network !== ctx.config.NETWORK) {
        await backend.close();
        throw new Error(`the ${backend.kind} Lightning node ${info.pubkey} is on ${info.network}, but NETWORK=${ctx.config.NETWORK}`);
      }
      const handlers = lightningHandlers(ctx, backend);
      const workers = [
        ctx.bus.process('lightning', handlers, { concurrency: ctx.config.LIGHTNING_CONCURRENCY }),
        ctx.bus.process('lightning-invoices', handlers, { concurrency: ctx.config.LIGHTNING_INVOICE_CONCURRENCY }),
      ];
      const watcher = watchInvoices(ctx, backend);
      // What a previous run left pending (this may be the process that crashed) is finished now.
      const startup = reconcile(ctx, backend, 0).catch((err: unknown) => log.error({ err }, 'start-up reconciliation failed'));
      const stopSchedule = scheduleReconciliation(ctx, lightningRail, log);
      return {
        describe: [`workers: lightning queues on the ${backend.kind} node ${info.pubkey} (concurrency ${ctx.config.LIGHTNING_CONCURRENCY}, invoices ${ctx.config.LIGHTNING_INVOICE_CONCURRENCY})`],
        assets: async () => {
          const b = await backend.getBalances();
          return { 'lightning channels': b.channelLocalMsat, 'lightning on-chain wallet': b.onchainConfirmedSat * 1000n };
        },
        stop: async () => {
          stopSchedule();
          await watcher.stop();
          await Promise.all(workers.map((w) => w.close()));
          await startup;
          await backend.close();
        },
      };
    },
  };
}
