// A real `flash start workers` (ONCHAIN_BACKEND=bitcoind, the bitcoind stand-in) SIGKILLed the
// moment its payout batch reaches the node: the transaction is out, the workers never learned
// that. After the restart the recorded batch is found and sent again (the same bytes, so the
// same transaction), and the withdrawal settles exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { onchainRules } from '../../core/onchain/check.ts';
import { withdraw } from '../../core/onchain/withdraw.ts';
import { startBitcoindSim, SIM_PASSWORD, SIM_USER, type BitcoindSim } from '../sims/bitcoind/sim.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { runFlash } from '../support/process.ts';
import { newPubkey } from '../support/wallet.ts';

let ctx: TestContext;
let sim: BitcoindSim;
beforeAll(async () => {
  sim = await startBitcoindSim();
  ctx = await createTestContext({ ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD });
});
afterAll(async () => { await ctx?.close(); await sim?.close(); });

it('settles a withdrawal exactly once after the workers die right after broadcasting it', { timeout: 120_000 }, async () => {
  const env = {
    DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey,
    API_PORT: '0', RELAY_PORT: '0', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD,
    ONCHAIN_SCAN_INTERVAL_MS: '200', ONCHAIN_BATCH_THRESHOLD: '1', ONCHAIN_ADDRESS_GAP: '100', RECONCILE_INTERVAL_SECONDS: '1',
  };
  const workers = await runFlash(['start', 'workers'], env);
  const account = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  const { address } = (await issueAddresses(ctx, account, 1))[0]!;
  await sim.send(address, 400_000n);
  await sim.mine(1);
  await expect.poll(async () => (await accounts.get(ctx.sql, account))!.balanceMsat, { timeout: 30_000 }).toBe(400_000_000n);

  // The node takes the transaction; the workers die before they hear back.
  let broadcasts = 0;
  sim.onCall('sendrawtransaction', (params) => {
    if (broadcasts++ > 0) return;
    sim.node.chain.accept((params as string[])[0]!);
    workers.child.kill('SIGKILL');
    throw new Error('connection reset');
  });
  const to = await sim.outside.command('getnewaddress') as string;
  const r = await withdraw(ctx, { accountId: account, address: to, amountSat: 100_000n, idempotencyKey: 'crash' });
  await workers.exited;
  const [batch] = await ctx.sql<{ id: string; txid: string; status: string }[]>`select id, txid, status from onchain_batches`;
  expect(batch!.status).toBe('signed');
  expect(sim.node.chain.mempool.has(batch!.txid)).toBe(true);

  const restarted = await runFlash(['start', 'workers'], env);
  try {
    await expect.poll(async () => (await ctx.sql`select status from onchain_batches where id = ${batch!.id}`)[0]?.status, { timeout: 30_000 }).toBe('broadcast');
    await sim.mine(1);
    await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status, { timeout: 30_000 }).toBe('succeeded');
    expect(broadcasts).toBeGreaterThanOrEqual(2);
    // One transaction paid the address, once.
    const paying = [...sim.node.chain.txs.values()].filter((t) => Array.from({ length: t.tx.outputsLength }, (_, i) => t.tx.getOutputAddress(i, { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef })).includes(to));
    expect(paying.map((t) => t.txid)).toEqual([batch!.txid]);
    expect((await ctx.sql`select count(*)::int as n from journals where ref = ${r.transactionId}`)[0]!.n).toBe(2);
    expect((await ctx.sql`select count(*)::int as n from event_outbox where type = 'payment.sent' and payload->>'transactionId' = ${r.transactionId}`)[0]!.n).toBe(1);
    const t = (await getTransaction(ctx.sql, r.transactionId))!;
    expect((await accounts.get(ctx.sql, account))!.balanceMsat).toBe(400_000_000n - 100_000_000n - t.feeMsat);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...onchainRules })).toEqual([]);
  } finally {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
});
