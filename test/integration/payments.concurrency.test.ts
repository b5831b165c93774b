// Many payments at once from one account: the database decides, never a race.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { cancelHoldInvoice, createHoldInvoice, createInvoice, lookupInvoice, settleHoldInvoice } from '../../core/lightning/invoices.ts';
import { payInvoice, type LightningPaymentResult } from '../../core/lightning/pay.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { newKey, startTestWallet, type TestWallet } from '../support/wallet.ts';

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet(); });
afterAll(async () => w.close());

it('lets exactly 100 of 200 concurrent payments through from an account funded for 100', async () => {
  const amount = 10_000n;
  const maxFee = fakeRoutingFeeMsat(amount);
  const a = await w.user(100n * (amount + maxFee));
  const invoices = await Promise.all(Array.from({ length: 200 }, () => w.externalInvoice(amount)));
  let lowest = 2n ** 62n;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const b = await balance(w.ctx.sql, a);
      if (b < lowest) lowest = b;
    }
  })();
  const results = await Promise.allSettled(invoices.map((paymentRequest) =>
    payInvoice(w.ctx, { accountId: a, paymentRequest, maxFeeMsat: maxFee, idempotencyKey: newKey(), waitMs: 30_000 })));
  sampling = false;
  await sampler;
  const ok = results.filter((r): r is PromiseFulfilledResult<LightningPaymentResult> => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(ok).toHaveLength(100);
  expect(ok.every((r) => r.value.status === 'succeeded')).toBe(true);
  expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(100).fill('insufficient_balance'));
  expect(lowest).toBeGreaterThanOrEqual(0n);
  expect(await balance(w.ctx.sql, a)).toBe(0n);
  expect((await w.ctx.sql`select count(*)::int as n from fake_ln_invoices where node = 'external' and state = 'settled'`)[0]!.n).toBe(100);
  expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
});

it('pays once for concurrent repeats of one request, and of one invoice under many keys', async () => {
  const a = await w.user(1_000_000n);
  const pr = await w.externalInvoice(5000n);
  const sameKey = await Promise.all(Array.from({ length: 30 }, () => payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: 'same', waitMs: 10_000 })));
  expect(new Set(sameKey.map((r) => r.transactionId)).size).toBe(1);
  const pr2 = await w.externalInvoice(5000n);
  const manyKeys = await Promise.all(Array.from({ length: 30 }, () => payInvoice(w.ctx, { accountId: a, paymentRequest: pr2, idempotencyKey: newKey(), waitMs: 10_000 })));
  expect(new Set(manyKeys.map((r) => r.transactionId)).size).toBe(1);
  expect(manyKeys.every((r) => r.status === 'succeeded')).toBe(true);
  expect(await balance(w.ctx.sql, a)).toBe(1_000_000n - 2n * (5000n + fakeRoutingFeeMsat(5000n)));
});

it('answers concurrent repeats of one request for an invoice of this service with its one payment', async () => {
  const a = await w.user(1_000_000n);
  const b = await w.user();
  const { paymentRequest } = await createInvoice(w.ctx, { accountId: b, amountMsat: 5000n, idempotencyKey: newKey() });
  // Each repeat waits on the invoice's lock while the first pays it: that payment is their answer too.
  const repeats = await Promise.all(Array.from({ length: 10 }, () => payInvoice(w.ctx, { accountId: a, paymentRequest: paymentRequest!, idempotencyKey: 'internal-same', waitMs: 10_000 })));
  expect(new Set(repeats.map((r) => r.transactionId)).size).toBe(1);
  expect(repeats.every((r) => r.status === 'succeeded')).toBe(true);
  expect(await balance(w.ctx.sql, a)).toBe(1_000_000n - 5000n);
  expect(await balance(w.ctx.sql, b)).toBe(5000n);
  // Someone else paying the paid invoice is still refused.
  const c = await w.user(1_000_000n);
  await expect(payInvoice(w.ctx, { accountId: c, paymentRequest: paymentRequest!, idempotencyKey: newKey(), waitMs: 10_000 })).rejects.toMatchObject({ code: 'already_paid' });
});

it('settles and cancels many held payments through the engine while other payments complete', async () => {
  const n = 20;
  const receiver = await w.user();
  const payer = await w.user(1_000_000n);
  const holds = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const preimage = randomBytes(32).toString('hex');
    const paymentHash = createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex');
    await createHoldInvoice(w.ctx, { accountId: receiver, amountMsat: 1000n, paymentHash, idempotencyKey: newKey() });
    return { preimage, paymentHash, settle: i % 2 === 0 };
  }));
  const requests = await Promise.all(holds.map(async (h) => (await lookupInvoice(w.ctx.sql, { paymentHash: h.paymentHash }))!.paymentRequest!));
  const outward = await Promise.all(holds.map(() => w.externalInvoice(2000n)));

  const [held, sent, decided] = await Promise.all([
    Promise.all(requests.map((paymentRequest) => w.external.payInvoice({ paymentRequest, maxFeeMsat: 10_000n, timeoutSeconds: 30 }))),
    Promise.all(outward.map((paymentRequest) => payInvoice(w.ctx, { accountId: payer, paymentRequest, idempotencyKey: newKey(), waitMs: 30_000 }))),
    Promise.all(holds.map(async (h) => {
      await expect.poll(async () => (await lookupInvoice(w.ctx.sql, { paymentHash: h.paymentHash }))?.status, { timeout: 20_000 }).toBe('accepted');
      return h.settle ? settleHoldInvoice(w.ctx, { accountId: receiver, preimage: h.preimage }) : cancelHoldInvoice(w.ctx, { accountId: receiver, paymentHash: h.paymentHash });
    })),
  ]);
  expect(held.map((p) => p.status)).toEqual(holds.map((h) => (h.settle ? 'succeeded' : 'failed')));
  expect(decided.map((t) => t.status)).toEqual(holds.map((h) => (h.settle ? 'succeeded' : 'canceled')));
  expect(sent.map((r) => r.status)).toEqual(Array(n).fill('succeeded'));
  expect(await balance(w.ctx.sql, receiver)).toBe(BigInt(n / 2) * 1000n);
  expect(await balance(w.ctx.sql, payer)).toBe(1_000_000n - BigInt(n) * (2000n + fakeRoutingFeeMsat(2000n)));
  expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
});
