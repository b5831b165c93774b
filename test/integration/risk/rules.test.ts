// Anomaly rules on scripted scenarios: each fires on its own and stays quiet on a normal
// account; a hit is recorded once per window with its facts, alerts the operators, and a
// `freeze` rule freezes the account (which still receives).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvoice } from '../../../core/lightning/invoices.ts';
import { payInvoice } from '../../../core/lightning/pay.ts';
import { transfer } from '../../../core/payments/transfer.ts';
import { riskSettings } from '../../../core/risk/accounts.ts';
import { newKey, startTestWallet, type TestWallet } from '../../support/wallet.ts';

const rules = [
  { name: 'velocity', kind: 'velocity', minutes: 10, count: 5, action: 'alert' },
  { name: 'destinations', kind: 'destinations', minutes: 10, count: 4, action: 'alert' },
  { name: 'failures', kind: 'failures', minutes: 10, count: 3, action: 'alert' },
  { name: 'drain', kind: 'drain', minutes: 10, share: 0.9, accountAgeHours: 1, action: 'freeze' },
  { name: 'outsized', kind: 'outsized', factor: 10, history: 3, action: 'alert' },
];

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet({ RISK_RULES: JSON.stringify(rules) }); });
afterAll(async () => w?.close());

const send = (from: string, to: string, amountMsat = 1000n) => transfer(w.ctx, { fromAccountId: from, toAccountId: to, amountMsat, idempotencyKey: newKey() });
const decisions = async (accountId: string) => (await w.ctx.sql<{ rule: string; facts: Record<string, unknown> }[]>`
  select rule, facts from risk_decisions where account_id = ${accountId} order by id`).map((d) => d.rule);
const decided = (accountId: string, rule: string) => expect.poll(() => decisions(accountId), { timeout: 15_000 }).toContain(rule);

it('each rule fires on its scenario, once, and a normal account stays quiet', async () => {
  // Normal: a few payments, to one place, of similar size.
  const normal = await w.user(100_000n);
  const shop = await w.user();
  for (let i = 0; i < 3; i++) await send(normal, shop, 2000n);
  await payInvoice(w.ctx, { accountId: normal, paymentRequest: await w.externalInvoice(3000n), idempotencyKey: newKey(), waitMs: 5000 });

  const fast = await w.user(100_000n);
  for (let i = 0; i < 6; i++) await send(fast, shop);
  await decided(fast, 'velocity');

  const spread = await w.user(100_000n);
  for (let i = 0; i < 4; i++) await send(spread, await w.user());
  await decided(spread, 'destinations');

  const failing = await w.user(100_000n);
  w.node.faults.failPayments = 'no_route';
  try {
    for (let i = 0; i < 3; i++) {
      expect((await payInvoice(w.ctx, { accountId: failing, paymentRequest: await w.externalInvoice(1000n), idempotencyKey: newKey(), waitMs: 5000 })).status).toBe('failed');
    }
  } finally {
    delete w.node.faults.failPayments;
  }
  await decided(failing, 'failures');

  const big = await w.user(1_000_000n);
  for (let i = 0; i < 3; i++) await send(big, shop, 1000n);
  await send(big, shop, 10_000n);
  await decided(big, 'outsized');

  // Drain: a new account funded from outside sends nearly all of it at once: frozen.
  const fresh = await w.user();
  const inv = await createInvoice(w.ctx, { accountId: fresh, amountMsat: 100_000n, idempotencyKey: newKey() });
  await w.external.payInvoice({ paymentRequest: inv.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
  await expect.poll(async () => (await w.ctx.sql`select 1 from transactions where id = ${inv.id} and status = 'succeeded'`).length).toBe(1);
  await send(fresh, shop, 95_000n);
  await decided(fresh, 'drain');
  // The decision is recorded first, then acted on.
  await expect.poll(async () => (await riskSettings(w.ctx.sql, w.ctx.config, fresh)).frozen).toBe(true);
  await expect(send(fresh, shop, 1000n)).rejects.toMatchObject({ code: 'account_frozen' });

  // Each fired once (its window), alone; the normal account (its events were read first) never.
  expect(await decisions(fast)).toEqual(['velocity']);
  expect(await decisions(spread)).toEqual(['destinations']);
  expect(await decisions(failing)).toEqual(['failures']);
  expect(await decisions(big)).toEqual(['outsized']);
  expect(await decisions(fresh)).toEqual(['drain']);
  expect(await decisions(normal)).toEqual([]);
  const [facts] = await w.ctx.sql<{ facts: Record<string, unknown> }[]>`select facts from risk_decisions where account_id = ${big}`;
  expect(facts!.facts).toEqual({ amountMsat: '10000', largestBeforeMsat: '1000', earlierPayments: 3 });
  await expect.poll(async () => (await w.ctx.sql`select key from risk_alerts where kind = 'anomaly'`).length).toBe(5);
});
