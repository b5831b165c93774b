// The on-chain rail in the workers role: the `onchain` queue's processors on every workers
// process, and one process at a time (a PostgreSQL advisory lock, taken again each round) runs
// the rounds: scan deposits, record fee rates, follow open batches (settle, send again, bump),
// send the payout queue, sweep the hot wallet's excess to cold storage, record holdings. The embedded node starts here when configured.
import type { Context } from '../../core/context.ts';
import type { Logger } from '../../core/log.ts';
import { onchainRail } from '../../core/onchain/rail.ts';
import { scheduleReconciliation, type RailWorkers } from '../module.ts';
import { chainClient, startEmbeddedNode, type EmbeddedNode } from './embedded.ts';
import type { ChainBackend } from './port.ts';
import { onchainHandlers } from './processors.ts';
import { sweepToCold } from './cold.ts';
import { releaseStrayLocks, runPayoutQueue, trackBatches } from './payouts.ts';
import { recordFeeRates, recordHoldings, scanDeposits } from './scanner.ts';
import { setUpWallet } from './setup.ts';

/** The advisory lock of the process that runs the rounds. */
const ROUNDS_LOCK = 0x6f6e6368; // 'onch'
const FEE_RATES_EVERY_MS = 30_000;

/** On the configured node, or on `backend` (tests pass one they control). */
export function onchainWorkers(backend?: ChainBackend): RailWorkers {
  return {
    rail: onchainRail,
    start: async (ctx: Context, log: Logger) => {
      let embedded: EmbeddedNode | undefined;
      if (!backend && ctx.config.ONCHAIN_BACKEND === 'embedded') embedded = await startEmbeddedNode(ctx.config);
      const chain = backend ?? chainClient(ctx.config);
      let info;
      try {
        info = await setUpWallet(ctx, chain);
        await releaseStrayLocks(ctx, chain);
      } catch (err) {
        await embedded?.close();
        throw err;
      }
      const lockConn = await ctx.sql.reserve();
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let current: Promise<void> = Promise.resolve();
      let lastTip = '';
      let feesAt = 0;

      const round = async () => {
        const [{ leader }] = await lockConn<[{ leader: boolean }]>`select pg_try_advisory_lock(${ROUNDS_LOCK}) as leader`;
        if (!leader) return;
        const tip = (await chain.chainInfo()).bestBlockHash;
        if (tip !== lastTip || Date.now() - feesAt >= FEE_RATES_EVERY_MS) { await recordFeeRates(ctx, chain); feesAt = Date.now(); }
        const scanned = await scanDeposits(ctx, chain);
        if (scanned.credited || scanned.pending || scanned.held) log.info(scanned, 'deposits scanned');
        await trackBatches(ctx, chain);
        await runPayoutQueue(ctx, chain);
        await sweepToCold(ctx, chain);
        await recordHoldings(ctx, chain, tip);
        lastTip = tip;
      };
      const schedule = (ms: number) => {
        if (stopped) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          current = current.then(round).catch((err: unknown) => log.error({ err }, 'on-chain round failed')).finally(() => schedule(ctx.config.ONCHAIN_SCAN_INTERVAL_MS));
        }, ms);
      };
      const reconcile = async () => {
        const done = current.then(async () => {
          const [{ leader }] = await lockConn<[{ leader: boolean }]>`select pg_try_advisory_lock(${ROUNDS_LOCK}) as leader`;
          return leader ? trackBatches(ctx, chain) : { checked: 0, finished: 0 };
        });
        current = done.then(() => {}, () => {});
        return done;
      };
      const worker = ctx.bus.process('onchain', onchainHandlers(ctx, chain, () => schedule(0), reconcile), { concurrency: 16 });
      const stopSchedule = scheduleReconciliation(ctx, onchainRail, log);
      schedule(0);
      return {
        describe: [`workers: onchain on the ${chain.kind} node (${info.chain}, height ${info.blocks}${embedded ? `, RPC ${embedded.server.url}` : ''})`],
        // For the solvency watchdog: the wallets' confirmed coins as the scanner last recorded them.
        assets: async () => {
          const held = await ctx.sql<{ wallet: string; confirmed_sat: bigint }[]>`select wallet, confirmed_sat from onchain_holdings`;
          return Object.fromEntries(held.map((h) => [`on-chain ${h.wallet} wallet`, h.confirmed_sat * 1000n]));
        },
        stop: async () => {
          stopped = true;
          clearTimeout(timer);
          stopSchedule();
          await worker.close();
          await current;
          await lockConn`select pg_advisory_unlock_all()`.catch(() => {});
          lockConn.release();
          await chain.close();
          await embedded?.close();
        },
      };
    },
  };
}
