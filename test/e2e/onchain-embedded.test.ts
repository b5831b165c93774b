// `npm start`'s on-chain path: a real `flash start workers` on the embedded regtest node (no
// bitcoind), driven by the `flash dev` commands over its RPC: a deposit seen, mined, credited,
// a reorg that re-mines it (credited once), a withdrawal to `flash dev address` sent in a batch;
// after a restart the chain is still there and `flash ledger check` is clean.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { flashCommand, runFlash } from '../support/process.ts';
import { newPubkey } from '../support/wallet.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext(); });
afterAll(async () => ctx?.close());

it('deposits, reorgs and withdraws on the embedded node with flash dev, and keeps its chain across a restart', { timeout: 180_000 }, async () => {
  const env = {
    DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey,
    API_PORT: '0', RELAY_PORT: '0', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    ONCHAIN_SCAN_INTERVAL_MS: '200', ONCHAIN_BATCH_THRESHOLD: '1', ONCHAIN_ADDRESS_GAP: '100',
  };
  const dev = async (...args: string[]) => {
    const r = await flashCommand(['dev', ...args], env);
    expect(r.code, r.out).toBe(0);
    return r.out.trim().split('\n').at(-1)!;
  };
  let workers = await runFlash(['start', 'workers'], env);
  try {
    expect(workers.output()).toMatch(/onchain on the embedded node \(regtest, height 101/);
    const account = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
    const { address } = (await issueAddresses(ctx, account, 1))[0]!;
    expect(await dev('send-to-address', address, '250000')).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(async () => (await ctx.sql`select status from onchain_deposits where address = ${address}`)[0]?.status, { timeout: 30_000 }).toBe('pending');
    expect(await dev('mine', '1')).toMatch(/mined 1 block/);
    await expect.poll(async () => (await accounts.get(ctx.sql, account))!.balanceMsat, { timeout: 30_000 }).toBe(250_000_000n);
    expect(await dev('reorg', '1')).toMatch(/reorganised 1 block\(s\); height 103/);
    await expect.poll(async () => (await ctx.sql`select 1 from onchain_cursors c join onchain_deposits d on d.block_hash = c.block_hash where d.address = ${address}`).length, { timeout: 30_000 }).toBe(1);
    expect((await accounts.get(ctx.sql, account))!.balanceMsat).toBe(250_000_000n);

    const to = await dev('address');
    const w = await flashCommand(['withdraw', '--account', account, '--address', to, '--amount', '100000', '--key', 'e2e'], env);
    expect(w.code, w.out).toBe(0);
    const id = JSON.parse(w.out.trim().split('\n').at(-1)!).transactionId as string;
    await expect.poll(async () => (await ctx.sql`select 1 from onchain_batch_payouts where transaction_id = ${id}`).length, { timeout: 30_000 }).toBe(1);
    await dev('mine', '1');
    await expect.poll(async () => (await getTransaction(ctx.sql, id))!.status, { timeout: 30_000 }).toBe('succeeded');
  } finally {
    workers.child.kill('SIGTERM');
    await workers.exited;
  }
  workers = await runFlash(['start', 'workers'], env);
  try {
    expect(workers.output()).toMatch(/embedded node \(regtest, height 104/);
    const check = await flashCommand(['ledger', 'check'], env);
    expect(check.code, check.out).toBe(0);
  } finally {
    workers.child.kill('SIGTERM');
    await workers.exited;
  }
});
