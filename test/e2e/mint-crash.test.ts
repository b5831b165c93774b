// Kill a real `flash start workers` while a melt's Lightning payment is in flight (SIGKILL):
// the inputs stay pending while nobody knows the outcome, and after the restart they are
// spent exactly once, matching the payment, with the wallet's change signed.
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MintQuoteState, Wallet, type Proof } from '@cashu/cashu-ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintRoutes, MINT_PATH } from '../../api/mint/routes.ts';
import { buildApi } from '../../api/server.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { mintRules } from '../../core/mint/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { EXTERNAL_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { flashCommand, runFlash } from '../support/process.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext({ API_RATE_LIMIT: '100000' }); });
afterAll(async () => ctx.close());

const sum = (ps: Proof[]) => ps.reduce((s, p) => s + Number(p.amount), 0);

it('finishes a melt exactly once after the workers are killed mid-payment', { timeout: 120_000 }, async () => {
  const env = {
    DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey,
    API_PORT: '0', RELAY_PORT: '0', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    RECONCILE_INTERVAL_SECONDS: '1',
  };
  const workers = await runFlash(['start', 'workers'], { ...env, LIGHTNING_FAKE_PAY_DELAY_MS: '60000' });
  const api = await buildApi(ctx, [mintRoutes]);
  await api.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}${MINT_PATH}`;
  const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
  let restarted: Awaited<ReturnType<typeof runFlash>> | undefined;
  try {
    const w = new Wallet(url);
    await w.loadMint();
    const mq = await w.createMintQuoteBolt11(500);
    expect((await external.payInvoice({ paymentRequest: mq.request, maxFeeMsat: 10_000n, timeoutSeconds: 30 })).status).toBe('succeeded');
    await expect.poll(async () => (await w.checkMintQuoteBolt11(mq.quote)).state, { timeout: 20_000 }).toBe(MintQuoteState.PAID);
    const proofs = await w.mintProofsBolt11(500, mq.quote);

    const invoice = await external.createInvoice({ amountMsat: 200_000n, description: 'crash test', expirySeconds: 600 });
    const quote = await w.createMeltQuoteBolt11(invoice.paymentRequest);
    const { send } = await w.send(quote.amount.add(quote.fee_reserve), proofs, { includeFees: true });
    const preview = await w.prepareMelt('bolt11', quote, send);
    expect((await w.completeMelt(preview, undefined, { preferAsync: true })).quote.state).toBe('PENDING');
    // The worker has handed the payment to the node, which holds it in flight.
    await expect.poll(async () => (await ctx.sql`select status from fake_ln_payments where payment_hash = ${invoice.paymentHash}`)[0]?.status, { timeout: 20_000 }).toBe('pending');

    workers.child.kill('SIGKILL');
    await workers.exited;
    // Nobody knows the outcome: the inputs stay pending, whoever asks.
    expect((await w.checkMeltQuoteBolt11(quote.quote)).state).toBe('PENDING');
    expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'PENDING'));
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
    // The payment completes in the network while our workers are down; the dead attempt's lease runs out.
    await ctx.sql`update fake_ln_payments set completes_at = now() where payment_hash = ${invoice.paymentHash}`;
    const [{ transaction_id: paymentId }] = await ctx.sql<[{ transaction_id: string }]>`select transaction_id from melt_quotes where id = ${quote.quote}`;
    await ctx.sql`update transactions set lease_until = now() where id = ${paymentId} and lease_until > now()`;

    restarted = await runFlash(['start', 'workers'], env);
    // Start-up reconciliation finishes the payment, then the mint's finishes the melt (no wallet asking).
    await expect.poll(async () => (await ctx.sql`select state from melt_quotes where id = ${quote.quote}`)[0]?.state, { timeout: 30_000 }).toBe('PAID');
    const paid = await w.checkMeltQuoteBolt11(quote.quote);
    const change = w.createMeltChangeProofs(preview.outputData, paid.change ?? []);
    expect(sum(send) - sum(change)).toBe(202);
    expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'SPENT'));
    expect((await ctx.sql`select count(*)::int as n from fake_ln_payments where payment_hash = ${invoice.paymentHash}`)[0]!.n).toBe(1);
    expect(await external.lookupInvoice(invoice.paymentHash)).toMatchObject({ state: 'settled', receivedMsat: 200_000n });
    expect(await balance(ctx.sql, systemAccounts.mint)).toBe(BigInt(500 - sum(send) + sum(change)) * 1000n);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
  } finally {
    if (restarted) {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
    await external.close();
    await api.close();
  }
});

it('`flash mint rotate` makes a new active keyset with its input fee, which wallets then use', { timeout: 60_000 }, async () => {
  const env = { DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey };
  const before = await ctx.sql<{ id: string }[]>`select id from mint_keysets where active`;
  const r = await flashCommand(['mint', 'rotate', '--fee', '250'], env);
  expect(r.code).toBe(0);
  const [now] = await ctx.sql<[{ id: string; input_fee_ppk: number }]>`select id, input_fee_ppk from mint_keysets where active`;
  expect(r.out).toContain(`active keyset ${now.id}; retired ${before[0]!.id}`);
  expect(now.input_fee_ppk).toBe(250);
  expect((await flashCommand(['mint', 'rotate', '--fee', '-1'], env)).code).not.toBe(0);
  expect((await flashCommand(['mint', 'keysets'], env)).out).toContain(`${now.id}  sat  active    input_fee_ppk 250`);
});
