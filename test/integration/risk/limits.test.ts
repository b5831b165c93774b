// The risk controls in the payment engine: every outgoing payment (Lightning, our own invoices,
// transfers) is checked in the statement that reserves it, and a refusal names the limit, what
// is left and when more frees up; freezes and the kill switch refuse sending, never receiving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balance } from '../../../core/ledger/ledger.ts';
import { check, ledgerRules } from '../../../core/ledger/check.ts';
import { createInvoice } from '../../../core/lightning/invoices.ts';
import { payInvoice } from '../../../core/lightning/pay.ts';
import { paymentRules } from '../../../core/payments/check.ts';
import { transfer } from '../../../core/payments/transfer.ts';
import { freeze, setLevel, setLimits, unfreeze } from '../../../core/risk/accounts.ts';
import { auditLog } from '../../../core/risk/audit.ts';
import type { RiskRefusal } from '../../../core/risk/refusals.ts';
import { pause, resume } from '../../../core/risk/state.ts';
import { newKey, startTestWallet, type TestWallet } from '../../support/wallet.ts';

const sat = (n: number) => BigInt(n) * 1000n;
const cli = { who: 'cli:test', via: 'cli' } as const;
// Level 0: 10 sat a payment, 30 sat a day on Lightning, 25 sat inside the ledger, 100 sat at most held.
const levels = JSON.stringify({
  0: { maxPaymentMsat: sat(10).toString(), maxBalanceMsat: sat(100).toString(), daily: { '*:outgoing': sat(30).toString(), 'internal:outgoing': sat(25).toString() } },
  1: { daily: { '*:outgoing': sat(1000).toString() } },
});

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet({ RISK_LEVELS: levels }); });
afterAll(async () => { await w.close(); });

const refusal = (p: Promise<unknown>) => p.then(() => 'paid', (err: RiskRefusal) => ({ code: err.code, ...err.facts }));
const payOut = (accountId: string, invoice: string) => payInvoice(w.ctx, { accountId, paymentRequest: invoice, idempotencyKey: newKey(), waitMs: 5000 });

describe('limits in the payment engine', () => {
  it('refuses a payment over the per-payment maximum, naming it', async () => {
    const a = await w.user(sat(50));
    expect(await refusal(payOut(a, await w.externalInvoice(sat(11))))).toMatchObject({ code: 'limit_exceeded', limit: 'payment', limitMsat: sat(10) });
    expect(await balance(w.ctx.sql, a)).toBe(sat(50));
  });

  it('counts the rolling 24 hours per rail: says what is left and when more frees up', async () => {
    const a = await w.user(sat(90));
    for (let i = 0; i < 3; i++) expect((await payOut(a, await w.externalInvoice(sat(9)))).status).toBe('succeeded');
    const r = await refusal(payOut(a, await w.externalInvoice(sat(5))));
    expect(r).toMatchObject({ code: 'limit_exceeded', limit: 'daily', rail: 'lightning', limitMsat: sat(30), leftMsat: sat(3) });
    const [first] = await w.ctx.sql<{ created_at: Date }[]>`select created_at from transactions where account_id = ${a} and direction = 'outgoing' order by seq limit 1`;
    // 5 sat fit once the first 9 sat payment leaves the window.
    expect((r as { resetsAt: Date }).resetsAt.getTime()).toBe(first!.created_at.getTime() + 24 * 3600_000);
    // Transfers count on their own rail (internal), with their own limit.
    const b = await w.user();
    await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: sat(9), idempotencyKey: newKey() });
    expect(await balance(w.ctx.sql, b)).toBe(sat(9));
  });

  it('applies an account\'s level and overrides', async () => {
    const a = await w.user(sat(90));
    await setLimits(w.ctx.sql, cli, a, { maxPaymentMsat: sat(40) }, 'test');
    expect(await refusal(payOut(a, await w.externalInvoice(sat(35))))).toMatchObject({ limit: 'daily', leftMsat: sat(30) });
    await setLevel(w.ctx.sql, cli, a, 1, 'verified');
    expect((await payOut(a, await w.externalInvoice(sat(35)))).status).toBe('succeeded');
    expect((await auditLog(w.ctx.sql, 2)).map((e) => [e.action, e.subject, e.reason])).toEqual([['account.level', a, 'verified'], ['account.limits', a, 'test']]);
  });

  it('refuses a transfer that would take the recipient over its maximum balance', async () => {
    const a = await w.user(sat(50));
    const b = await w.user(sat(95));
    expect(await refusal(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: sat(6), idempotencyKey: newKey() })))
      .toMatchObject({ code: 'limit_exceeded', limit: 'balance', leftMsat: sat(5) });
    expect([await balance(w.ctx.sql, a), await balance(w.ctx.sql, b)]).toEqual([sat(50), sat(95)]);
  });

  it('a frozen account receives but cannot send on any path', async () => {
    const a = await w.user(sat(50));
    const b = await w.user();
    await freeze(w.ctx.sql, cli, a, 'stolen key');
    expect(await refusal(payOut(a, await w.externalInvoice(sat(1))))).toMatchObject({ code: 'account_frozen', reason: 'stolen key' });
    expect(await refusal(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: sat(1), idempotencyKey: newKey() }))).toMatchObject({ code: 'account_frozen' });
    const own = await createInvoice(w.ctx, { accountId: b, amountMsat: sat(1), idempotencyKey: newKey() });
    expect(await refusal(payOut(a, own.paymentRequest!))).toMatchObject({ code: 'account_frozen' });
    // Still credited: a transfer in, and an invoice paid from outside.
    await transfer(w.ctx, { fromAccountId: await w.user(sat(5)), toAccountId: a, amountMsat: sat(2), idempotencyKey: newKey() });
    const inv = await createInvoice(w.ctx, { accountId: a, amountMsat: sat(3), idempotencyKey: newKey() });
    await w.external.payInvoice({ paymentRequest: inv.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    await expect.poll(() => balance(w.ctx.sql, a)).toBe(sat(55));
    await unfreeze(w.ctx.sql, cli, a, 'key rotated');
    expect((await payOut(a, await w.externalInvoice(sat(1)))).status).toBe('succeeded');
  });

  it('the kill switch stops rails, not moves inside the ledger', async () => {
    const a = await w.user(sat(50));
    const b = await w.user();
    expect(await pause(w.ctx.sql, cli, 'drill')).toBe(true);
    try {
      expect(await refusal(payOut(a, await w.externalInvoice(sat(1))))).toMatchObject({ code: 'payments_paused', reason: 'drill' });
      await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: sat(1), idempotencyKey: newKey() });
    } finally {
      expect(await resume(w.ctx.sql, cli, 'drill over')).toBe(true);
    }
    expect((await payOut(a, await w.externalInvoice(sat(1)))).status).toBe('succeeded');
    expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
