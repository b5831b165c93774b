// Business zap batches over the HTTP API with NIP-98: mixed recipients (users here, addresses
// on a local LNURL stand-in, an unreachable address, an invalid npub), per-line outcomes,
// balances and the ledger's invariants, idempotent repeats, and refused authorizations.
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../../core/ledger/check.ts';
import { balance } from '../../../core/ledger/ledger.ts';
import { paymentRules } from '../../../core/payments/check.ts';
import { httpAuthHeader } from '../../../core/nostr/nip98.ts';
import { buildZapRequest } from '../../../core/nostr/nip57.ts';
import { BusinessError, createBusiness } from '../../../core/business/business.ts';
import { runBatch, type BatchReport, type BatchSummary } from '../../../core/business/batches.ts';
import { routingDeps } from '../../../core/routing/route.ts';
import { sendZap } from '../../../core/zaps/send.ts';
import { claimUsername } from '../../../core/addresses/usernames.ts';
import type { CreateInvoiceRequest } from '../../../workers/lightning/port.ts';
import { fakeRoutingFeeMsat } from '../../../workers/lightning/fake.ts';
import { MiniRelay } from '../../support/mini-relay.ts';
import { startLnurlSim, type LnurlSim } from '../../sims/lnurl/server.ts';
import { PUBLIC_ORIGIN, startZapService, type ZapService } from '../../support/zaps.ts';
import { fund } from '../../support/wallet.ts';
import { freePort } from '../../support/process.ts';

let svc: ZapService;
let sim: LnurlSim;
let own: MiniRelay;
const bizKey = generateSecretKey();
let businessId: string;
const FUNDS = 1_000_000n;
const AMOUNT = 5_000n;
const users = Array.from({ length: 3 }, () => generateSecretKey()).map((sk) => getPublicKey(sk));
const alice = getPublicKey(generateSecretKey());

async function api(method: string, path: string, body?: unknown, opts: { key?: Uint8Array; url?: string; createdAt?: number; header?: string; bodyForAuth?: string } = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const header = opts.header ?? httpAuthHeader(opts.key ?? bizKey, { url: opts.url ?? `${PUBLIC_ORIGIN}${path}`, method, body: opts.bodyForAuth ?? text, createdAt: opts.createdAt });
  const res = await svc.fetch(`${PUBLIC_ORIGIN}${path}`, { method, body: text, headers: { authorization: header, ...(text && { 'content-type': 'application/json' }) } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

const finished = async (id: string) => {
  await expect.poll(async () => {
    const r = (await api('GET', `/api/v1/zaps/${id}?lines=false`)).body as unknown as BatchSummary;
    return r.status === 'finished' && r.totals.pending === 0 && r.totals.queued === 0;
  }, { timeout: 30_000, interval: 200 }).toBe(true);
  const report = (await api('GET', `/api/v1/zaps/${id}`)).body as unknown as BatchReport;
  // The totals alone are the report's totals.
  const { lines: _lines, ...summary } = report;
  expect((await api('GET', `/api/v1/zaps/${id}?lines=false`)).body).toEqual(summary);
  return report;
};

beforeAll(async () => {
  own = await MiniRelay.start();
  const late: { external?: { createInvoice(r: CreateInvoiceRequest): Promise<{ paymentRequest: string }> } } = {};
  sim = await startLnurlSim({ node: { createInvoice: (r) => late.external!.createInvoice(r) as never }, users: { bob: {}, carol: { mode: 'wrong_hash' } } });
  const closed = await freePort();
  svc = await startZapService({ ZAP_RELAYS: own.url, LNURL_DEV_HOSTS: `shop.test=${sim.url},down.test=http://127.0.0.1:${closed}`, BUSINESS_CONCURRENCY: '4' });
  late.external = svc.wallet.external;
  const ctx = svc.wallet.ctx;
  businessId = (await createBusiness(ctx, { pubkey: getPublicKey(bizKey), name: 'Coffee shop' })).accountId;
  await fund(ctx.sql, businessId, FUNDS);
  for (const u of users) await accounts.forPubkey(ctx.sql, u);
  await claimUsername(ctx.sql, alice, 'alice');
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  await own?.stop();
});

describe('business registration', () => {
  it('registers a key once, even when the calls race; the others get a clear refusal and leave no account', async () => {
    const pubkey = getPublicKey(generateSecretKey());
    const ctx = svc.wallet.ctx;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => createBusiness(ctx, { pubkey, name: 'Racing shop' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BusinessError);
    expect(await ctx.sql`select 1 from accounts where kind = 'business' and pubkey = ${pubkey}`).toHaveLength(1);
  });
});

describe('business API authentication (NIP-98)', () => {
  it.each<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, string]>([
    ['no header', () => api('GET', '/api/v1/zaps/00000000-0000-4000-8000-000000000000', undefined, { header: '' }), 'missing'],
    ['wrong url', () => api('GET', '/api/v1/zaps/x', undefined, { url: `${PUBLIC_ORIGIN}/api/v1/zaps/y` }), 'wrong_url'],
    ['stale', () => api('GET', '/api/v1/zaps/x', undefined, { createdAt: Math.floor(Date.now() / 1000) - 300 }), 'stale'],
    ['wrong payload hash', () => api('POST', '/api/v1/zaps', { idempotencyKey: 'k', amountMsat: 1000, recipients: ['x'] }, { bodyForAuth: '{"other":1}' }), 'wrong_payload'],
    ['unknown key', () => api('GET', '/api/v1/zaps/x', undefined, { key: generateSecretKey() }), 'unknown_key'],
  ])('refuses %s with 401 and a reason', async (_name, call, reason) => {
    const r = await call();
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: reason, reason: expect.any(String) });
  });

  it('refuses a replayed write authorization', async () => {
    const body = { idempotencyKey: 'replay', amountMsat: 1000, recipients: [] };
    const header = httpAuthHeader(bizKey, { url: `${PUBLIC_ORIGIN}/api/v1/zaps`, method: 'POST', body: JSON.stringify(body) });
    expect((await api('POST', '/api/v1/zaps', body, { header })).status).toBe(400);
    expect((await api('POST', '/api/v1/zaps', body, { header })).body).toMatchObject({ error: 'replayed' });
  });

  it('refuses a batch without pre-signed requests while no signing key is registered', async () => {
    const r = await api('POST', '/api/v1/zaps', { idempotencyKey: 'nokey', amountMsat: 1000, recipients: [nip19.npubEncode(users[0]!)] });
    expect(r.status).toBe(400);
    expect(String(r.body.reason)).toMatch(/signing key/);
  });

  it('refuses malformed bodies', async () => {
    expect((await api('POST', '/api/v1/zaps', { idempotencyKey: 'bad', amountMsat: -5, recipients: [] })).status).toBe(400);
    const tooMany = await api('POST', '/api/v1/zaps', { idempotencyKey: 'big', amountMsat: 1000, recipients: Array.from({ length: 1001 }, () => 'x') });
    expect(tooMany.status).toBe(400);
  });
});

describe('BTCPay rewards over the business API', () => {
  it('sets the reward rule and refuses a bad one', async () => {
    expect(await api('PUT', '/api/v1/btcpay/rewards', { percent: 2, maxSats: '1000' })).toMatchObject({ status: 200, body: { percent: 2, maxSats: '1000' } });
    expect((await api('PUT', '/api/v1/btcpay/rewards', { percent: '150', maxSats: 10 })).status).toBe(400);
    expect(await svc.wallet.ctx.sql`select basis_points, max_msat from btcpay_reward_rules where business_account_id = ${businessId}`).toEqual([{ basis_points: 200, max_msat: 1_000_000n }]);
  });
});

describe('business zap batch', () => {
  it('pays each line once, with per-line outcomes, and never overspends', async () => {
    const signer = generateSecretKey();
    expect((await api('PUT', '/api/v1/signing-key', { secretKey: nip19.nsecEncode(signer) })).body).toEqual({ pubkey: getPublicKey(signer) });
    const preSigned = finalizeEvent(buildZapRequest({ recipient: users[2]!, amountMsat: AMOUNT, relays: [own.url], comment: 'signed by us' }), bizKey);
    const badPreSigned = finalizeEvent(buildZapRequest({ recipient: users[2]!, amountMsat: AMOUNT + 1n, relays: [own.url] }), bizKey);
    const request = {
      idempotencyKey: 'rewards-2025-01', amountMsat: AMOUNT.toString(), comment: 'Thanks for being a customer', relays: [own.url],
      recipients: [
        nip19.npubEncode(users[0]!),
        users[1]!,
        { to: nip19.npubEncode(users[2]!), zapRequest: preSigned },
        'alice@flash.test',
        'bob@shop.test',
        'carol@shop.test',
        'dave@down.test',
        'npub1notanpub',
        { to: nip19.npubEncode(users[2]!), zapRequest: badPreSigned, idempotencyKey: 'bad-presigned' },
      ],
    };
    const signedAt = Math.floor(Date.now() / 1000);
    const first = await api('POST', '/api/v1/zaps', request, { createdAt: signedAt });
    expect(first.status).toBe(202);
    const id = String(first.body.id);
    const report = await finished(id);
    const byLine = Object.fromEntries(report.lines.map((l) => [l.line, l]));
    for (const n of [1, 2, 3, 4]) expect(byLine[n]).toMatchObject({ route: 'internal', status: 'paid', feeMsat: '0', preimage: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(byLine[5]).toMatchObject({ route: 'external', status: 'paid', feeMsat: fakeRoutingFeeMsat(AMOUNT).toString(), preimage: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(byLine[6]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^lnurl_invoice_mismatch/) });
    expect(byLine[7]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^lnurl_unreachable/) });
    expect(byLine[8]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^invalid_recipient/) });
    expect(byLine[9]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^zap_request_amount_mismatch/) });
    expect(report.totals).toMatchObject({ lines: 9, paid: 5, failed: 4, paidMsat: (AMOUNT * 5n).toString() });

    // The zap to bob carried a zap request for bob's NIP-05 key? The stand-in has none: a plain LNURL payment.
    expect(sim.issued.map((i) => i.name).sort()).toEqual(['bob', 'carol']);

    // Our own receipts for internal lines reach the relay and are marked seen.
    await expect.poll(async () => ((await api('GET', `/api/v1/zaps/${id}`)).body as unknown as BatchReport).lines.filter((l) => l.receiptSeen).map((l) => l.line), { timeout: 15_000 }).toEqual([1, 2, 3, 4]);
    const receipt = own.events.find((e) => e.kind === 9735 && e.tags.some((t) => t[0] === 'p' && t[1] === users[2]));
    expect(JSON.parse(receipt!.tags.find((t) => t[0] === 'description')![1]!).content).toBe('signed by us');

    const ctx = svc.wallet.ctx;
    const spent = AMOUNT * 5n + fakeRoutingFeeMsat(AMOUNT);
    expect(await balance(ctx.sql, businessId)).toBe(FUNDS - spent);
    for (const u of users.slice(0, 2)) expect(await balance(ctx.sql, (await accounts.findByPubkey(ctx.sql, u))!.id)).toBe(AMOUNT);
    expect(await balance(ctx.sql, (await accounts.findByPubkey(ctx.sql, alice))!.id)).toBe(AMOUNT);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);

    // The same request again (another authorization: a second later): the same batch, nothing paid twice.
    const again = await api('POST', '/api/v1/zaps', request, { createdAt: signedAt + 1 });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    await finished(id);
    expect(await balance(ctx.sql, businessId)).toBe(FUNDS - spent);
    // Same key, other body: refused.
    expect((await api('POST', '/api/v1/zaps', { ...request, amountMsat: '6000' })).status).toBe(409);
  });

  it('gives every paid line a receipt when the batch names no relays (ours are used)', async () => {
    const recipients = Array.from({ length: 3 }, () => getPublicKey(generateSecretKey()));
    for (const r of recipients) await accounts.forPubkey(svc.wallet.ctx.sql, r);
    const r = await api('POST', '/api/v1/zaps', { idempotencyKey: 'no-relays', amountMsat: '1000', recipients: recipients.map((k) => nip19.npubEncode(k)) });
    const report = await finished(String(r.body.id));
    expect(report.lines.map((l) => l.status)).toEqual(['paid', 'paid', 'paid']);
    await expect.poll(async () => ((await api('GET', `/api/v1/zaps/${String(r.body.id)}`)).body as unknown as BatchReport).lines.every((l) => l.receiptSeen), { timeout: 15_000 }).toBe(true);
    for (const k of recipients) {
      const receipt = own.events.find((e) => e.kind === 9735 && e.tags.some((t) => t[0] === 'p' && t[1] === k));
      expect(JSON.parse(receipt!.tags.find((t) => t[0] === 'description')![1]!).tags).toContainEqual(['relays', own.url]);
    }
  });

  it('reports lines whose outcome was not written from their payments when the job runs again, paying nothing twice', async () => {
    const ctx = svc.wallet.ctx;
    const recipients = Array.from({ length: 4 }, () => getPublicKey(generateSecretKey()));
    for (const k of recipients) await accounts.forPubkey(ctx.sql, k);
    const r = await api('POST', '/api/v1/zaps', { idempotencyKey: 'rerun', amountMsat: '2000', recipients: recipients.map((k) => nip19.npubEncode(k)) });
    const id = String(r.body.id);
    await finished(id);
    const before = await balance(ctx.sql, businessId);
    // As if the process had died after paying, before writing the lines' outcomes.
    await ctx.sql`update zap_batch_lines set status = 'queued', transaction_id = null, payment_hash = null, preimage = null where batch_id = ${id}`;
    expect(await runBatch(ctx, id)).toEqual({ paid: 4, failed: 0, pending: 0 });
    expect((await finished(id)).lines.map((l) => [l.status, l.paymentHash !== undefined])).toEqual(recipients.map(() => ['paid', true]));
    expect(await balance(ctx.sql, businessId)).toBe(before);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });

  it('fails the open lines of a batch whose job fails every attempt, keeping a line already paid', { timeout: 60_000 }, async () => {
    const ctx = svc.wallet.ctx;
    const key = generateSecretKey();
    const biz = await createBusiness(ctx, { pubkey: getPublicKey(key), name: 'Broken key' });
    await fund(ctx.sql, biz.accountId, 100_000n);
    // A signing key that no longer opens (sealed under a key the service lost).
    await ctx.sql`update businesses set sealed_signing_key = 'v1:0000000000000000:AAAA:AAAA' where account_id = ${biz.accountId}`;
    const recipients = [users[0]!, users[1]!];
    const r = await api('POST', '/api/v1/zaps', { idempotencyKey: 'broken', amountMsat: '3000', recipients: recipients.map((k) => nip19.npubEncode(k)) }, { key });
    expect(r.status).toBe(202);
    const id = String(r.body.id);
    // Line 1 was paid by an earlier attempt that died before recording it.
    const paid = await sendZap(ctx, routingDeps(ctx), {
      payerAccountId: biz.accountId, idempotencyKey: `batch:${id}:broken:1`, route: { rail: 'internal', pubkey: recipients[0]! },
      amountMsat: 3000n, relays: [own.url], sign: (t) => finalizeEvent(t, generateSecretKey()),
    });
    expect(paid.payment.status).toBe('succeeded');
    let report: BatchReport | undefined;
    await expect.poll(async () => {
      report = (await api('GET', `/api/v1/zaps/${id}`, undefined, { key })).body as unknown as BatchReport;
      return report.status;
    }, { timeout: 45_000, interval: 500 }).toBe('finished');
    expect(report!.lines[0]).toMatchObject({ status: 'paid', paymentHash: paid.payment.paymentHash });
    expect(report!.lines[1]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^batch_failed: /) });
    expect(report!.totals).toMatchObject({ queued: 0, pending: 0, paid: 1, failed: 1 });
    expect(await balance(ctx.sql, biz.accountId)).toBe(100_000n - 3000n);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });

  it('refuses a batch larger than the balance', async () => {
    const r = await api('POST', '/api/v1/zaps', { idempotencyKey: 'too-much', amountMsat: '500000', recipients: users.map((u) => nip19.npubEncode(u)) });
    expect(r.status).toBe(402);
  });
});
