// Kill the workers between reserve and result (a real SIGKILL of a real process): after the
// restart, reconciliation finishes the payment exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { lookupPayment, payInvoice } from '../../core/lightning/pay.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { EXTERNAL_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode, fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { runFlash } from '../support/process.ts';
import { fund, newPubkey } from '../support/wallet.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext(); });
afterAll(async () => ctx.close());

it('finishes a payment exactly once after the workers are killed mid-payment', { timeout: 90_000 }, async () => {
  const env = {
    DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey,
    API_PORT: '0', RELAY_PORT: '0', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    RECONCILE_INTERVAL_SECONDS: '1',
  };
  const workers = await runFlash(['start', 'workers'], { ...env, LIGHTNING_FAKE_PAY_DELAY_MS: '60000' });

  const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
  const invoice = await external.createInvoice({ amountMsat: 50_000n, description: 'crash test', expirySeconds: 600 });
  const account = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  await fund(ctx.sql, account, 100_000n);

  const first = await payInvoice(ctx, { accountId: account, paymentRequest: invoice.paymentRequest, maxFeeMsat: 2000n, idempotencyKey: 'crash', waitMs: 0 });
  expect(first.status).toBe('pending');
  // The worker has handed the payment to the node, which holds it in flight.
  await expect.poll(async () => (await ctx.sql`select status from fake_ln_payments where payment_hash = ${invoice.paymentHash}`)[0]?.status, { timeout: 20_000 }).toBe('pending');

  workers.child.kill('SIGKILL');
  await workers.exited;
  expect((await lookupPayment(ctx.sql, { accountId: account, paymentHash: invoice.paymentHash }))?.status).toBe('pending');
  expect(await balance(ctx.sql, account)).toBe(100_000n - 52_000n);
  // The payment completes in the network while our workers are down.
  await ctx.sql`update fake_ln_payments set completes_at = now() where payment_hash = ${invoice.paymentHash}`;
  // The dead worker's attempt holds the payment's lease until it runs out (PAYMENT_TIMEOUT_SECONDS + 60 s,
  // workers/lightning/attempt.ts); time passes here: until then no lookup may void it.
  const leased = await ctx.sql`update transactions set lease_until = now() where id = ${first.transactionId} and lease_until > now()`;
  expect(leased.count).toBe(1);

  const restarted = await runFlash(['start', 'workers'], env);
  try {
    await expect.poll(async () => (await lookupPayment(ctx.sql, { accountId: account, paymentHash: invoice.paymentHash }))?.status, { timeout: 30_000 }).toBe('succeeded');
    const fee = fakeRoutingFeeMsat(50_000n);
    expect(await balance(ctx.sql, account)).toBe(100_000n - 50_000n - fee);
    expect((await ctx.sql`select count(*)::int as n from journals where ref = ${first.transactionId}`)[0]!.n).toBe(2);
    expect((await ctx.sql`select count(*)::int as n from fake_ln_payments where payment_hash = ${invoice.paymentHash}`)[0]!.n).toBe(1);
    expect(await external.lookupInvoice(invoice.paymentHash)).toMatchObject({ state: 'settled', receivedMsat: 50_000n });
    expect((await ctx.sql`select count(*)::int as n from event_outbox where type = 'payment.sent' and payload->>'transactionId' = ${first.transactionId}`)[0]!.n).toBe(1);
    expect(await payInvoice(ctx, { accountId: account, paymentRequest: invoice.paymentRequest, idempotencyKey: 'crash' })).toMatchObject({ status: 'succeeded', feeMsat: fee });
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  } finally {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
});
