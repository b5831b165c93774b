// At start: the node is on our network, the hot wallet is loaded (created if missing), its
// public receive descriptors are the ones our addresses were issued from, and its range covers
// every issued address plus the gap.
import type { Context } from '../../core/context.ts';
import { coreChainNames } from '../../core/onchain/network.ts';
import type { ChainBackend } from './port.ts';

export async function setUpWallet(ctx: Context, chain: ChainBackend): Promise<{ chain: string; blocks: number }> {
  const info = await chain.chainInfo();
  if (info.chain !== coreChainNames[ctx.config.NETWORK]) throw new Error(`the Bitcoin node is on ${info.chain}, but NETWORK=${ctx.config.NETWORK}`);
  await chain.openWallet();
  const found = await chain.receiveDescriptors();
  for (const [type, descriptor] of Object.entries(found)) {
    if (!descriptor) continue;
    const name = `hot_${type}`;
    const [row] = await ctx.sql<{ descriptor: string }[]>`
      insert into onchain_descriptors (name, descriptor) values (${name}, ${descriptor})
      on conflict (name) do update set updated_at = now() returning descriptor`;
    if (row!.descriptor !== descriptor) {
      throw new Error(`the wallet ${ctx.config.BITCOIND_WALLET} is not the one our ${type} addresses were issued from (its descriptor changed); load that wallet`);
    }
  }
  await refillRange(ctx, chain);
  return { chain: info.chain, blocks: info.blocks };
}

/** keypoolrefill up to the highest issued index (or `atLeast`) plus the gap; recorded as node_range. */
export async function refillRange(ctx: Context, chain: ChainBackend, atLeast = 0): Promise<number> {
  const [{ issued }] = await ctx.sql<[{ issued: number }]>`select coalesce(max(derivation_index) + 1, 0)::int as issued from onchain_addresses where descriptor like 'hot_%'`;
  const range = Math.max(atLeast, issued + ctx.config.ONCHAIN_ADDRESS_GAP);
  await chain.refill(range);
  await ctx.sql`update onchain_descriptors set node_range = greatest(node_range, ${range}), updated_at = now() where name like 'hot_%'`;
  return range;
}
