// The wallet-connect service against what honest clients do not send: repeats of one request
// on two relays and after a restart, races on one budget, and malformed requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { startNwcHarness, RawApp, type App, type NwcHarness } from '../support/nwc.ts';

let h: NwcHarness;
let app: App;
let raw: RawApp;
beforeAll(async () => {
  h = await startNwcHarness({ relays: 2 });
  app = await h.connect({ name: 'raw' });
  await h.fund(app.accountId, 10_000_000n);
  raw = await RawApp.open(app.uri, h.relays.map((r) => r.url));
}, 60_000);
afterAll(async () => {
  raw?.close();
  await h?.close();
});

const outgoing = async (accountId: string) => (await h.wallet.ctx.sql`select 1 from transactions where account_id = ${accountId} and direction = 'outgoing'`).length;
const recorded = async (eventId: string) => (await h.wallet.ctx.sql`select 1 from nwc_requests where event_id = ${eventId}`).length;

describe('encryption', () => {
  it('reads a request without an encryption tag as NIP-04 and answers in NIP-04', async () => {
    const e = raw.request({ method: 'get_balance', params: {} }, { encryption: null });
    await raw.send(e, [0]);
    const [a] = await raw.answers(e.id);
    expect(a!.event.content).toContain('?iv=');
    expect(a!.body).toEqual({ result_type: 'get_balance', result: { balance: 10_000_000 }, error: null });
    expect(a!.event.tags).toEqual([['p', raw.pubkey], ['e', e.id]]);
    expect(a!.event.pubkey).toBe(raw.walletPubkey);
  });

  it('answers an unknown scheme with UNSUPPORTED_ENCRYPTION', async () => {
    const body = await raw.call({ method: 'get_balance' }, { encryption: 'nip44_v3' });
    expect(body).toMatchObject({ result: null, error: { code: 'UNSUPPORTED_ENCRYPTION' } });
  });
});

describe('bad input', () => {
  it('answers undecryptable content, non-JSON and malformed requests with OTHER', async () => {
    for (const [body, o] of [
      ['', { content: 'not encrypted at all' }],
      ['', { encryption: 'nip04', content: 'bm9wZQ==?iv=bm9wZQ==' }],
      ['{"method":', {}],
      ['[1,2,3]', {}],
      ['{"params":{}}', {}],
      ['{"method":7,"params":{}}', {}],
      ['{"method":"get_balance","params":"x"}', {}],
    ] as const) {
      const answer = await raw.call(body, o);
      expect(answer, `${body} ${JSON.stringify(o)}`).toMatchObject({ result: null, error: { code: 'OTHER', message: expect.any(String) } });
    }
  });

  it('answers an unknown method with NOT_IMPLEMENTED', async () => {
    for (const method of ['multi_pay_invoice', 'sign_message', 'x'.repeat(64)]) {
      expect(await raw.call({ method, params: {} })).toMatchObject({ result_type: method, error: { code: 'NOT_IMPLEMENTED' } });
    }
  });

  it('refuses wrong param types with OTHER and pays nothing', async () => {
    const invoice = await h.wallet.externalInvoice();
    const cases = [
      { method: 'pay_invoice', params: {} },
      { method: 'pay_invoice', params: { invoice: 42 } },
      { method: 'pay_invoice', params: { invoice, amount: '1000' } },
      { method: 'pay_invoice', params: { invoice, amount: 1.5 } },
      { method: 'pay_invoice', params: { invoice, amount: -1000 } },
      { method: 'pay_invoice', params: { invoice: 'lnbc1notaninvoice' } },
      { method: 'make_invoice', params: { amount: 2n ** 70n } },
      { method: 'make_invoice', params: { amount: 1000, expiry: -5 } },
      { method: 'make_invoice', params: { amount: 1000, description_hash: 'zz' } },
      { method: 'pay_keysend', params: { amount: 1000, pubkey: 'not a key' } },
      { method: 'list_transactions', params: { limit: 'ten' } },
      { method: 'lookup_invoice', params: {} },
    ];
    for (const c of cases) {
      expect(await raw.call(c), JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toMatchObject({ result_type: c.method, result: null, error: { code: 'OTHER' } });
    }
    expect(await outgoing(app.accountId)).toBe(0);
  });

  it('refuses amounts beyond the payment limit, however large', async () => {
    for (const amount of ['9007199254740993', '1' + '0'.repeat(40)]) {
      const answer = await raw.call(`{"method":"make_invoice","params":{"amount":${amount}}}`);
      expect(answer).toMatchObject({ error: { code: 'OTHER', message: expect.stringMatching(/amount must be|too large/) } });
    }
  });

  it('drops metadata over 4096 characters and keeps smaller metadata', async () => {
    const big = await raw.call({ method: 'make_invoice', params: { amount: 1000, metadata: { comment: 'x'.repeat(5000) } } });
    expect(big).toMatchObject({ error: null, result: { amount: 1000 } });
    expect((big.result as Record<string, unknown>).metadata).toBeUndefined();
    const small = await raw.call({ method: 'make_invoice', params: { amount: 1000, metadata: { comment: 'thanks' } } });
    expect(small).toMatchObject({ result: { metadata: { comment: 'thanks' } } });
  });

  it('ignores expired, very old and misaddressed requests (no answer, nothing recorded)', async () => {
    const now = Math.floor(Date.now() / 1000);
    // Our relay refuses expired events itself (NIP-40); another relay might pass one on.
    const expired = raw.request({ method: 'get_balance' }, { tags: [['expiration', String(now - 1)]] });
    await h.service.handle(expired);
    const ignored = [
      raw.request({ method: 'get_balance' }, { createdAt: now - 3600 }),
      raw.request({ method: 'get_balance' }, { p: 'ab'.repeat(32) }),
    ];
    for (const e of ignored) await raw.send(e, [0]);
    // A request sent after them is answered; by then the ignored ones were handled too.
    expect(await raw.call({ method: 'get_balance' }, { tags: [['expiration', String(now + 60)]] })).toMatchObject({ error: null });
    for (const e of [expired, ...ignored]) {
      expect(await recorded(e.id)).toBe(0);
      expect(await raw.answers(e.id, 1, 0)).toEqual([]);
    }
  });
});

describe('never pay twice', () => {
  it('pays a request published twice and on two relays once, and answers a repeat after a restart with the first answer', async () => {
    const before = await balance(h.wallet.ctx.sql, app.accountId);
    const e = raw.request({ method: 'pay_invoice', params: { invoice: await h.wallet.externalInvoice(25_000n) } });
    await Promise.all([raw.send(e, [0]), raw.send(e, [1]), raw.send(e, [0])]);
    const [first] = await raw.answers(e.id);
    expect(first!.body).toMatchObject({ result_type: 'pay_invoice', error: null, result: { preimage: expect.any(String) } });
    expect(await outgoing(app.accountId)).toBe(1);
    const fee = BigInt((first!.body.result as { fees_paid: number }).fees_paid);
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(before - 25_000n - fee);

    await h.restartService();
    await raw.send(e, [1]);
    // The new instance finds the request done and publishes the stored answer again.
    await expect.poll(async () => (await raw.answers(e.id)).map((a) => a.event.id)).toEqual([first!.event.id]);
    expect(await recorded(e.id)).toBe(1);
    expect(await outgoing(app.accountId)).toBe(1);
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(before - 25_000n - fee);
  });

  it('never lets concurrent requests on one budget exceed it', async () => {
    const budgeted = await h.connect({ name: 'race', budgetSats: 100n, renewal: 'monthly' });
    await h.fund(budgeted.accountId, 10_000_000n);
    // Each reserves 20 sat + the 10 sat minimum fee reserve: three fit in 100 sat, not four.
    const invoices = await Promise.all(Array.from({ length: 12 }, () => h.wallet.externalInvoice(20_000n)));
    const outcomes = await Promise.all(invoices.map((invoice) => budgeted.client.payInvoice({ invoice }).then(() => 'paid', (err: { code: string }) => err.code)));
    expect(outcomes.sort()).toEqual([...Array(3).fill('paid'), ...Array(9).fill('QUOTA_EXCEEDED')].sort());
    const budget = await budgeted.client.getBudget() as { used_budget: number; total_budget: number };
    expect(budget.used_budget).toBeLessThanOrEqual(budget.total_budget);
    expect(await balance(h.wallet.ctx.sql, budgeted.accountId)).toBe(10_000_000n - BigInt(budget.used_budget));
  });

  it('leaves the ledger consistent', async () => {
    expect(await check(h.wallet.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
