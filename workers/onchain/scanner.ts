// The scanner follows the hot wallet with a cursor: listsinceblock from the stored block
// (Bitcoin Core's `lastblock`: the block ONCHAIN_CONFIRMATIONS - 1 below the tip, so every
// deposit not yet spendable is reported again until it is) with its `removed` list for reorgs.
// applyScan writes the deposits and the new cursor in one transaction: a restart resumes
// where the last committed scan ended, without missing or double-counting a deposit.
import type { Context } from '../../core/context.ts';
import { applyScan, type ScanResult } from '../../core/onchain/deposits.ts';
import { speedTargets } from '../../core/onchain/fees.ts';
import { ChainError, type ChainBackend, type WalletEntry } from './port.ts';

export async function scanDeposits(ctx: Context, chain: ChainBackend): Promise<ScanResult> {
  const [row] = await ctx.sql<{ block_hash: string }[]>`select block_hash from onchain_cursors where wallet = 'hot'`;
  let since;
  try {
    since = await chain.listSinceBlock('hot', row?.block_hash, ctx.config.ONCHAIN_CONFIRMATIONS);
  } catch (err) {
    if (!(err instanceof ChainError && err.code === 'not_found' && row)) throw err;
    // The node does not know our cursor (a new node, a wiped regtest chain): scan all again; deposits are keyed, so nothing counts twice.
    ctx.log.error({ cursor: row.block_hash }, 'the node does not know the scan cursor; rescanning the wallet from the start');
    since = await chain.listSinceBlock('hot', undefined, ctx.config.ONCHAIN_CONFIRMATIONS);
  }
  const received = (e: WalletEntry) => e.category === 'receive';
  const outputs = [...since.removed.filter(received), ...since.transactions.filter(received)]
    .map((e) => ({ txid: e.txid, vout: e.vout, address: e.address, amountSat: e.amountSat, confirmations: e.confirmations, blockHash: e.blockHash }));
  return applyScan(ctx, 'hot', outputs, since.lastBlock);
}

/** Stores the node's fee estimates for the three speeds (withdrawal quotes read them). */
export async function recordFeeRates(ctx: Context, chain: ChainBackend): Promise<void> {
  const rates = await Promise.all(Object.values(speedTargets).map(async (target) => ({ target, sat_per_vb: await chain.feeRate(target) })));
  await ctx.sql`insert into onchain_fee_rates ${ctx.sql(rates)} on conflict (target) do update set sat_per_vb = excluded.sat_per_vb, updated_at = now()`;
}

/** Records what the wallets hold, for `flash ledger check` (cold only once imported). */
export async function recordHoldings(ctx: Context, chain: ChainBackend, tip: string): Promise<void> {
  for (const wallet of ['hot', 'cold'] as const) {
    let b;
    try { b = await chain.balances(wallet); } catch (err) {
      if (wallet === 'cold' && err instanceof ChainError && (err.code === 'wallet_not_loaded' || err.code === 'wallet_not_found')) continue;
      throw err;
    }
    await ctx.sql`insert into onchain_holdings (wallet, confirmed_sat, unconfirmed_sat, block_hash) values (${wallet}, ${b.confirmedSat}, ${b.unconfirmedSat}, ${tip})
      on conflict (wallet) do update set confirmed_sat = excluded.confirmed_sat, unconfirmed_sat = excluded.unconfirmed_sat, block_hash = excluded.block_hash, updated_at = now()`;
  }
}
