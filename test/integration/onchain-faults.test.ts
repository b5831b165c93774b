// Withdrawals when things go wrong, against the bitcoind stand-in: a stuck batch is fee-bumped
// (RBF) and settled once by whichever version confirms; a rejected broadcast puts the payouts
// back in the queue; an unknown broadcast outcome sends the same recorded bytes again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { onchainRules } from '../../core/onchain/check.ts';
import { withdraw } from '../../core/onchain/withdraw.ts';
import type { RunningRole } from '../../core/role.ts';
import { workersRole } from '../../workers/role.ts';
import { startBitcoindSim, SIM_PASSWORD, SIM_USER, type BitcoindSim } from '../sims/bitcoind/sim.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { newKey, newPubkey } from '../support/wallet.ts';

let sim: BitcoindSim;
let ctx: TestContext;
let workers: RunningRole | undefined;

const balanceOf = async (id: string) => (await accounts.get(ctx.sql, id))!.balanceMsat!;
async function funded(sat: bigint): Promise<string> {
  const a = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  const { address } = (await issueAddresses(ctx, a, 1))[0]!;
  await sim.send(address, sat);
  await sim.mine(1);
  await expect.poll(() => balanceOf(a)).toBe(sat * 1000n);
  return a;
}
const batchOf = async (transactionId: string) => (await ctx.sql<{ batch_id: string }[]>`select batch_id from onchain_batch_payouts where transaction_id = ${transactionId}`)[0]?.batch_id;
const versions = async (batchId: string) => ctx.sql<{ txid: string; fee_sat: bigint }[]>`select txid, fee_sat from onchain_batch_txs where batch_id = ${batchId} order by created_at`;

beforeAll(async () => {
  sim = await startBitcoindSim();
  ctx = await createTestContext({
    ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD,
    ONCHAIN_SCAN_INTERVAL_MS: '100', ONCHAIN_BATCH_THRESHOLD: '1', ONCHAIN_ADDRESS_GAP: '100', ONCHAIN_BUMP_AFTER_SECONDS: '2',
  });
  workers = await workersRole(ctx);
});

afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sim?.close();
});

describe('stuck, rejected, unknown', () => {
  it('a stuck batch is fee-bumped keeping its payout, and the version that confirms settles it once', async () => {
    const a = await funded(500_000n);
    const to = await sim.outside.command('getnewaddress') as string;
    const r = await withdraw(ctx, { accountId: a, address: to, amountSat: 100_000n, idempotencyKey: newKey() });
    await expect.poll(() => batchOf(r.transactionId)).toBeDefined();
    const batchId = (await batchOf(r.transactionId))!;
    await expect.poll(async () => (await versions(batchId)).length).toBeGreaterThanOrEqual(2);
    await sim.mine(1);
    await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status).toBe('succeeded');
    const all = await versions(batchId);
    const [batch] = await ctx.sql<{ confirmed_txid: string }[]>`select confirmed_txid from onchain_batches where id = ${batchId}`;
    const mined = all.filter((v) => sim.node.chain.blockOf(v.txid));
    expect(mined.map((v) => v.txid)).toEqual([batch!.confirmed_txid]);
    // Every version paid the same output; the replaced ones are now conflicted.
    for (const v of all) {
      const out = sim.node.chain.txs.get(v.txid)!.tx;
      expect(Array.from({ length: out.outputsLength }, (_, i) => out.getOutputAddress(i, { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }))).toContain(to);
    }
    const t = (await getTransaction(ctx.sql, r.transactionId))!;
    const fee = mined[0]!.fee_sat * 1000n;
    expect(t.feeMsat).toBe(fee < t.feeReserveMsat ? fee : t.feeReserveMsat);
    expect(t.railRef?.startsWith(batch!.confirmed_txid)).toBe(true);
    expect(await ctx.sql`select 1 from journals where idempotency_key = ${`pay:${t.id}:finish`}`).toHaveLength(1);
    // The holder paid amount + fee share, never more than the reserve.
    expect(await balanceOf(a)).toBe(500_000_000n - 100_000_000n - t.feeMsat);
  });

  it('a rejected broadcast fails the batch, unlocks its coins and queues its payouts again', async () => {
    const a = await funded(300_000n);
    sim.fail('sendrawtransaction', -26, 'mempool min fee not met, 100 < 141');
    const r = await withdraw(ctx, { accountId: a, address: await sim.outside.command('getnewaddress') as string, amountSat: 50_000n, idempotencyKey: newKey() });
    await expect.poll(async () => (await ctx.sql`select 1 from onchain_batches where status = 'failed'`).length).toBe(1);
    await expect.poll(async () => (await ctx.sql<{ status: string }[]>`
      select b.status from onchain_batch_payouts p join onchain_batches b on b.id = p.batch_id where p.transaction_id = ${r.transactionId}`)[0]?.status).toBe('broadcast');
    await sim.mine(1);
    await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status).toBe('succeeded');
    const [failed] = await ctx.sql<{ txid: string; error: string }[]>`select txid, error from onchain_batches where status = 'failed'`;
    expect(failed!.error).toMatch(/min fee/);
    expect(sim.node.chain.txs.get(failed!.txid)).toBeUndefined();
    // Its coins were unlocked (and spent by the batch that replaced it, or free).
    expect([...sim.node.wallets.get('flash')!.locked].filter((o) => !sim.node.chain.spentBy.has(o))).toEqual([]);
  });

  it('an unknown broadcast outcome sends the same recorded transaction again: one transaction, paid once', async () => {
    const a = await funded(300_000n);
    let lost = 1;
    // The node takes the transaction but the answer is lost (the caller sees an error).
    sim.onCall('sendrawtransaction', (params) => {
      if (lost-- > 0) { sim.node.chain.accept((params as string[])[0]!); throw new Error('connection reset'); }
    });
    const r = await withdraw(ctx, { accountId: a, address: await sim.outside.command('getnewaddress') as string, amountSat: 40_000n, idempotencyKey: newKey() });
    await expect.poll(async () => (await ctx.sql<{ status: string }[]>`
      select b.status from onchain_batch_payouts p join onchain_batches b on b.id = p.batch_id where p.transaction_id = ${r.transactionId}`)[0]?.status).toBe('broadcast');
    const batchId = (await batchOf(r.transactionId))!;
    const [v] = await versions(batchId);
    expect(sim.node.chain.mempool.has(v!.txid)).toBe(true);
    await sim.mine(1);
    await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status).toBe('succeeded');
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...onchainRules })).toEqual([]);
  });
});
