// Payments whose outcome outlives the request's wait, failed payments, and rate limits: the
// service waits 1 s (NWC_PAY_WAIT_SECONDS) and lets 10 requests a minute through per connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { startNwcHarness, RawApp, type NwcHarness } from '../support/nwc.ts';

let h: NwcHarness;
beforeAll(async () => { h = await startNwcHarness({ env: { NWC_PAY_WAIT_SECONDS: '1', NWC_RATE_PER_MINUTE: '10' } }); }, 60_000);
afterAll(async () => { await h?.close(); });

describe('a payment still in flight when the wait ends', () => {
  it('stays pending with its reserve, is reported honestly, and is answered once it settles', async () => {
    const app = await h.connect();
    await h.fund(app.accountId, 1_000_000n);
    const raw = await RawApp.open(app.uri, [h.relays[0]!.url]);
    h.wallet.node.faults.payDelayMs = 4000;
    try {
      const invoice = await h.wallet.externalInvoice(100_000n);
      const request = raw.request({ method: 'pay_invoice', params: { invoice } });
      await raw.send(request);
      // While in flight: no answer yet, the reserve held, the payment shown as pending.
      await expect.poll(() => app.client.lookupInvoice({ invoice }).then((t) => t.state, () => 'none')).toBe('pending');
      expect(await raw.answers(request.id, 1, 0)).toEqual([]);
      expect((await app.client.listTransactions({})).transactions).toEqual([expect.objectContaining({ type: 'outgoing', state: 'pending', amount: 100_000 })]);
      expect(await balance(h.wallet.ctx.sql, app.accountId)).toBeLessThan(1_000_000n - 100_000n);

      const [answer] = await raw.answers(request.id, 1, 15_000);
      expect(answer!.body).toMatchObject({ result_type: 'pay_invoice', error: null, result: { preimage: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      expect(await app.client.lookupInvoice({ invoice })).toMatchObject({ state: 'settled' });
      const fee = BigInt((answer!.body.result as { fees_paid: number }).fees_paid);
      expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(1_000_000n - 100_000n - fee);
    } finally {
      h.wallet.node.faults.payDelayMs = 0;
      raw.close();
    }
  });

  it('answers PAYMENT_FAILED for a failed payment and releases its reserve', async () => {
    const app = await h.connect();
    await h.fund(app.accountId, 1_000_000n);
    h.wallet.node.faults.failPayments = 'no_route';
    try {
      const failed = app.client.payInvoice({ invoice: await h.wallet.externalInvoice(100_000n) });
      await expect(failed).rejects.toMatchObject({ code: 'PAYMENT_FAILED' });
    } finally {
      delete h.wallet.node.faults.failPayments;
    }
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(1_000_000n);
    expect((await app.client.listTransactions({})).transactions).toEqual([expect.objectContaining({ state: 'failed' })]);
  });
});

describe('rate limits', () => {
  it('answers RATE_LIMITED past the connection\'s requests per minute, and other connections are unaffected', async () => {
    const busy = await h.connect();
    const outcomes = [];
    for (let i = 0; i < 12; i++) outcomes.push(await busy.client.getBalance().then(() => 'ok', (err: { code: string }) => err.code));
    expect(outcomes).toEqual([...Array(10).fill('ok'), 'RATE_LIMITED', 'RATE_LIMITED']);
    const calm = await h.connect();
    expect(await calm.client.getBalance()).toEqual({ balance: 0 });
  });
});

describe('the ledger', () => {
  it('is consistent', async () => {
    expect(await check(h.wallet.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
