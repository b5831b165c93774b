// Resource abuse through the HTTP API: per-IP limits (in Redis, so across instances), invoice
// creation apart from payments, and the pruning of rows that only guard against repeats.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeModules } from '../../api/role.ts';
import { buildApi } from '../../api/server.ts';
import { webhookPath } from '../../core/btcpay/links.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { lookupPayment, payInvoice } from '../../core/lightning/pay.ts';
import { generateSecretKey, getPublicKey } from '../../core/nostr/keys.ts';
import { newKey } from '../support/wallet.ts';
import { startZapService, type ZapService } from '../support/zaps.ts';

const LIMIT = 5;
let svc: ZapService;
beforeAll(async () => {
  svc = await startZapService({ API_RATE_LIMIT: String(LIMIT), BTCPAY_WEBHOOK_RATE_LIMIT: String(3 * LIMIT), LIGHTNING_CONCURRENCY: '2', LIGHTNING_INVOICE_CONCURRENCY: '2' });
}, 60_000);
afterAll(async () => { await svc?.close(); });

const callback = (base: string) => fetch(`${base}/lnurlp/${nip19.npubEncode(getPublicKey(generateSecretKey()))}/callback?amount=5000`);

describe('HTTP rate limits', () => {
  it('answers 429 in LUD-06 shape past the limit, on every instance, and leaves health alone', async () => {
    const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, () => callback(svc.apiUrl)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(2 * LIMIT).fill(429)]);
    const refused = answers.find((r) => r.status === 429)!;
    expect(await refused.json()).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(/too many requests/) });
    // A second API instance shares the count through Redis.
    const other = await buildApi(svc.wallet.ctx, routeModules);
    try {
      await other.listen({ host: '127.0.0.1', port: 0 });
      expect((await callback(`http://127.0.0.1:${(other.server.address() as AddressInfo).port}`)).status).toBe(429);
    } finally {
      await other.close();
    }
    // The business API, on the same count, answers in its own shape.
    const business = await fetch(`${svc.apiUrl}/api/v1/zaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(business.status).toBe(429);
    expect(await business.json()).toMatchObject({ error: 'rate_limited', reason: expect.stringMatching(/too many requests/) });
    expect((await fetch(`${svc.apiUrl}/healthz`)).status).toBe(200);
  });

  it('counts BTCPay webhook deliveries apart, with their own higher limit', async () => {
    // This address has used up API_RATE_LIMIT above; a BTCPay server posting many stores'
    // deliveries from it is still heard, up to BTCPAY_WEBHOOK_RATE_LIMIT.
    const deliver = () => fetch(`${svc.apiUrl}${webhookPath(randomUUID())}`, { method: 'POST', body: '{}' });
    const statuses = (await Promise.all(Array.from({ length: 4 * LIMIT }, deliver))).map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(3 * LIMIT).fill(404), ...Array(LIMIT).fill(429)]);
    expect((await callback(svc.apiUrl)).status).toBe(429);
  });
});

describe('invoice creation', () => {
  it('does not hold up payments while the node is slow to issue invoices', async () => {
    const { wallet } = svc;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    wallet.node.faults.beforeIssue = () => gate;
    try {
      // More stuck invoice jobs than either queue runs at once.
      const payee = await wallet.user();
      const stuck = Array.from({ length: 6 }, () => createInvoice(wallet.ctx, { accountId: payee, amountMsat: 1000n, idempotencyKey: newKey() }).catch(() => undefined));
      const payer = await wallet.user(100_000n);
      const r = await payInvoice(wallet.ctx, { accountId: payer, paymentRequest: await wallet.externalInvoice(10_000n), idempotencyKey: newKey(), waitMs: 5000 });
      await expect.poll(async () => (await lookupPayment(wallet.ctx.sql, { accountId: payer, paymentHash: r.paymentHash }))?.status).toBe('succeeded');
      release();
      await Promise.all(stuck);
    } finally {
      release();
      wallet.node.faults.beforeIssue = undefined;
    }
  });
});
