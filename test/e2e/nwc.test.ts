// The wallet-connect service end to end: @getalby/sdk's NWCClient (a third-party client) talks
// to the service over our relay on loopback, in both encryptions.
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Nip47Notification } from '@getalby/sdk/nwc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { revokeConnection } from '../../bots/nwc/connections.ts';
import { claimUsername } from '../../core/addresses/usernames.ts';
import { startNwcHarness, type App, type NwcHarness } from '../support/nwc.ts';

let h: NwcHarness;
beforeAll(async () => { h = await startNwcHarness(); }, 60_000);
afterAll(async () => { await h?.close(); });

/** The NIP-47 error code a call fails with. */
const codeOf = (p: Promise<unknown>) => p.then(() => 'no error', (err: { code?: string }) => err.code ?? String(err));

async function notifications(app: App): Promise<Nip47Notification[]> {
  const got: Nip47Notification[] = [];
  await app.client.subscribeNotifications((n) => got.push(n));
  return got;
}

describe.each(['nip44_v2', 'nip04'] as const)('over %s', (encryption) => {
  let app: App;
  beforeAll(async () => {
    app = await h.connect({ encryption, name: 'test app', lud16: 'alice@pay.example.com' });
    await h.fund(app.accountId, 100_000_000n);
  });

  it('publishes the info event of the connection', async () => {
    const info = await app.client.getWalletServiceInfo();
    expect(info.encryptions).toEqual(['nip44_v2', 'nip04']);
    expect(info.capabilities).toEqual(expect.arrayContaining(['pay_invoice', 'make_hold_invoice', 'get_budget', 'notifications']));
    expect(info.notifications).toEqual(['payment_received', 'payment_sent', 'hold_invoice_accepted']);
  });

  it('answers get_info, get_balance and get_budget', async () => {
    const info = await app.client.getInfo();
    expect(info).toMatchObject({ alias: 'Flash Wallet Connect', network: 'regtest', lud16: 'alice@pay.example.com', pubkey: app.client.walletPubkey });
    expect(info.methods).toContain('pay_invoice');
    expect(await app.client.getBalance()).toEqual({ balance: 100_000_000 });
    expect(await app.client.getBudget()).toEqual({});
  });

  it('makes an invoice, is paid from outside, and notifies', async () => {
    const got = await notifications(app);
    const inv = await app.client.makeInvoice({ amount: 21_000, description: 'coffee', metadata: { comment: 'hi' } });
    expect(inv).toMatchObject({ type: 'incoming', state: 'pending', amount: 21_000, description: 'coffee', metadata: { comment: 'hi' } });
    const paid = await h.wallet.external.payInvoice({ paymentRequest: inv.invoice, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    expect(paid.status).toBe('succeeded');
    await expect.poll(() => got.map((n) => n.notification_type)).toEqual(['payment_received']);
    expect(got[0]!.notification).toMatchObject({ type: 'incoming', state: 'settled', payment_hash: inv.payment_hash, amount: 21_000 });
    const looked = await app.client.lookupInvoice({ payment_hash: inv.payment_hash });
    expect(looked).toMatchObject({ state: 'settled', amount: 21_000, preimage: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await app.client.lookupInvoice({ invoice: inv.invoice })).toMatchObject({ payment_hash: inv.payment_hash });
    expect(await app.client.getBalance()).toEqual({ balance: 100_021_000 });
  });

  it('pays an external invoice, reports it and notifies', async () => {
    const got = await notifications(app);
    const before = await balance(h.wallet.ctx.sql, app.accountId);
    const invoice = await h.wallet.externalInvoice(50_000n);
    const paid = await app.client.payInvoice({ invoice });
    expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/);
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(before - 50_000n - BigInt(paid.fees_paid));
    await expect.poll(() => got.map((n) => n.notification_type)).toContain('payment_sent');
    const sent = got.find((n) => n.notification_type === 'payment_sent')!.notification;
    expect(sent).toMatchObject({ type: 'outgoing', state: 'settled', amount: 50_000, preimage: paid.preimage, invoice });
    expect(await app.client.lookupInvoice({ invoice })).toMatchObject({ type: 'outgoing', state: 'settled', preimage: paid.preimage });
  });
});

describe('lightning address', () => {
  it('puts the user\'s address here in the URI and get_info when none is given', async () => {
    const user = getPublicKey(generateSecretKey());
    await claimUsername(h.wallet.ctx.sql, user, 'carol');
    const app = await h.connect({ user });
    const address = `carol@${new URL(h.wallet.ctx.config.publicUrl).host}`;
    expect(new URL(app.uri.replace('nostr+walletconnect:', 'http:')).searchParams.get('lud16')).toBe(address);
    expect((await app.client.getInfo()).lud16).toBe(address);
  });
});

describe('payments between users of the service', () => {
  it('pays an invoice of another connection inside the ledger, and both are notified', async () => {
    const alice = await h.connect({ name: 'alice' });
    const bob = await h.connect({ name: 'bob' });
    await h.fund(alice.accountId, 1_000_000n);
    const [aliceGot, bobGot] = await Promise.all([notifications(alice), notifications(bob)]);
    const inv = await bob.client.makeInvoice({ amount: 300_000, description: 'for bob' });
    const paid = await alice.client.payInvoice({ invoice: inv.invoice });
    expect(paid).toMatchObject({ fees_paid: 0 });
    expect(await alice.client.getBalance()).toEqual({ balance: 700_000 });
    expect(await bob.client.getBalance()).toEqual({ balance: 300_000 });
    await expect.poll(() => bobGot.map((n) => n.notification_type)).toEqual(['payment_received']);
    await expect.poll(() => aliceGot.map((n) => n.notification_type)).toEqual(['payment_sent']);
    expect(await bob.client.lookupInvoice({ payment_hash: inv.payment_hash })).toMatchObject({ state: 'settled', preimage: paid.preimage });
  });
});

describe('every other method', () => {
  let app: App;
  beforeAll(async () => {
    app = await h.connect({ name: 'all methods' });
    await h.fund(app.accountId, 10_000_000n);
  });

  it('pays keysend to an outside node', async () => {
    const node = (await h.wallet.external.getInfo()).pubkey;
    const paid = await app.client.payKeysend({ amount: 12_000, pubkey: node, tlv_records: [{ type: 696969, value: 'abcd' }] });
    expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/);
    expect(await codeOf(app.client.payKeysend({ amount: 1000, pubkey: node, preimage: '00'.repeat(32) }))).toBe('NOT_IMPLEMENTED');
  });

  it('lists transactions with filters and paging', async () => {
    for (const amount of [1000, 2000, 3000]) await app.client.makeInvoice({ amount, description: `open ${amount}` });
    const inv = await app.client.makeInvoice({ amount: 4000, description: 'paid' });
    await h.wallet.external.payInvoice({ paymentRequest: inv.invoice, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    await expect.poll(() => app.client.lookupInvoice({ payment_hash: inv.payment_hash }).then((t) => t.state)).toBe('settled');

    const paid = await app.client.listTransactions({});
    expect(paid.transactions.map((t) => [t.type, t.amount])).toEqual([['incoming', 4000], ['outgoing', 12_000]]);
    const all = await app.client.listTransactions({ unpaid: true });
    expect(all.transactions.map((t) => t.amount)).toEqual([4000, 3000, 2000, 1000, 12_000]);
    expect(all.total_count).toBe(5);
    const page = await app.client.listTransactions({ unpaid: true, limit: 2, offset: 1 });
    expect(page.transactions.map((t) => t.amount)).toEqual([3000, 2000]);
    expect((await app.client.listTransactions({ unpaid: true, type: 'outgoing' })).transactions.map((t) => t.amount)).toEqual([12_000]);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await app.client.listTransactions({ unpaid: true, from: future })).transactions).toEqual([]);
    expect((await app.client.listTransactions({ unpaid: true, until: 1 })).transactions).toEqual([]);
  });

  it('makes, settles and cancels hold invoices', async () => {
    const got = await notifications(app);
    const preimage = randomBytes(32);
    const paymentHash = bytesToHex(sha256(preimage));
    const hold = await app.client.makeHoldInvoice({ amount: 5000, description: 'held', payment_hash: paymentHash });
    expect(hold).toMatchObject({ type: 'incoming', payment_hash: paymentHash, amount: 5000 });
    const paying = h.wallet.external.payInvoice({ paymentRequest: hold.invoice, maxFeeMsat: 10_000n, timeoutSeconds: 20 });
    await expect.poll(() => got.map((n) => n.notification_type)).toContain('hold_invoice_accepted');
    expect(await app.client.lookupInvoice({ payment_hash: paymentHash })).toMatchObject({ state: 'accepted' });
    await app.client.settleHoldInvoice({ preimage: bytesToHex(preimage) });
    expect((await paying).status).toBe('succeeded');
    await expect.poll(() => app.client.lookupInvoice({ payment_hash: paymentHash }).then((t) => t.state)).toBe('settled');

    const other = bytesToHex(sha256(randomBytes(32)));
    await app.client.makeHoldInvoice({ amount: 5000, payment_hash: other });
    await app.client.cancelHoldInvoice({ payment_hash: other });
    expect(await app.client.lookupInvoice({ payment_hash: other })).toMatchObject({ state: 'failed' });
    expect(await codeOf(app.client.cancelHoldInvoice({ payment_hash: '00'.repeat(32) }))).toBe('NOT_FOUND');
  });

  it('answers NOT_FOUND for an unknown payment hash', async () => {
    expect(await codeOf(app.client.lookupInvoice({ payment_hash: 'ab'.repeat(32) }))).toBe('NOT_FOUND');
  });
});

describe('budgets, scopes, expiry and revocation', () => {
  it('refuses a payment over the budget with QUOTA_EXCEEDED and reports the budget', async () => {
    const app = await h.connect({ budgetSats: 100n, renewal: 'daily' });
    await h.fund(app.accountId, 10_000_000n);
    // 60 sat + 10 sat fee reserve (the minimum) fits in 100 sat; a second one does not.
    await app.client.payInvoice({ invoice: await h.wallet.externalInvoice(60_000n) });
    expect(await codeOf(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(60_000n) }))).toBe('QUOTA_EXCEEDED');
    const budget = await app.client.getBudget() as { used_budget: number; total_budget: number; renews_at: number; renewal_period: string };
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(budget).toEqual({ used_budget: expect.any(Number), total_budget: 100_000, renews_at: tomorrow.getTime() / 1000, renewal_period: 'daily' });
    expect(budget.used_budget).toBeGreaterThanOrEqual(60_000);
    expect(budget.used_budget).toBeLessThanOrEqual(70_000);
    // Nothing was reserved for the refused payment.
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(10_000_000n - BigInt(budget.used_budget));
  });

  it('renews the budget in the next period', async () => {
    const app = await h.connect({ budgetSats: 100n, renewal: 'daily' });
    await h.fund(app.accountId, 10_000_000n);
    await app.client.payInvoice({ invoice: await h.wallet.externalInvoice(80_000n) });
    expect(await codeOf(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(80_000n) }))).toBe('QUOTA_EXCEEDED');
    // Move the first payment's request into yesterday: today's budget is whole again.
    await h.wallet.ctx.sql`update nwc_requests set created_at = created_at - interval '1 day' where connection_id = ${app.connectionId}`;
    await app.client.payInvoice({ invoice: await h.wallet.externalInvoice(80_000n) });
  });

  it('refuses a method outside the scopes with RESTRICTED', async () => {
    const app = await h.connect({ scopes: ['get_info', 'make_invoice'] });
    expect(await codeOf(app.client.getBalance())).toBe('RESTRICTED');
    expect(await codeOf(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(1000n) }))).toBe('RESTRICTED');
    expect((await app.client.getInfo()).methods).toEqual(['make_invoice', 'get_info']);
    expect((await app.client.getWalletServiceInfo()).capabilities).toEqual(['make_invoice', 'get_info']);
  });

  it('answers an expired connection with UNAUTHORIZED', async () => {
    const app = await h.connect({ expiresAt: new Date(Date.now() + 3600_000) });
    expect(await app.client.getBalance()).toEqual({ balance: 0 });
    // The expiry is moved into the past rather than waited for, which raced a loaded machine.
    await h.wallet.ctx.sql`update nwc_connections set expires_at = now() - interval '1 second' where id = ${app.connectionId}`;
    await h.service.reload();
    expect(await codeOf(app.client.getBalance())).toBe('UNAUTHORIZED');
  });

  it('answers a revoked connection with UNAUTHORIZED', async () => {
    const app = await h.connect();
    await h.fund(app.accountId, 1_000_000n);
    expect(await app.client.getBalance()).toEqual({ balance: 1_000_000 });
    await revokeConnection(h.wallet.ctx, app.connectionId);
    await expect.poll(() => h.service.connection(app.client.walletPubkey)?.status).toBe('revoked');
    expect(await codeOf(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(1000n) }))).toBe('UNAUTHORIZED');
    expect(await balance(h.wallet.ctx.sql, app.accountId)).toBe(1_000_000n);
  });

  it('refuses every method of a connection revoked or expired in the database, with no NOTIFY heard', async () => {
    const [revoked, expired] = [await h.connect(), await h.connect()];
    expect(await revoked.client.getBalance()).toEqual({ balance: 0 });
    // Changed behind the service's back: no NOTIFY, so its copy still says active.
    await h.wallet.ctx.sql`update nwc_connections set revoked_at = now() where id = ${revoked.connectionId}`;
    await h.wallet.ctx.sql`update nwc_connections set expires_at = now() where id = ${expired.connectionId}`;
    expect(h.service.connection(revoked.client.walletPubkey)?.status).toBe('active');
    for (const app of [revoked, expired]) {
      expect(await codeOf(app.client.getBalance())).toBe('UNAUTHORIZED');
      expect(await codeOf(app.client.getInfo())).toBe('UNAUTHORIZED');
      expect(await codeOf(app.client.makeInvoice({ amount: 1000 }))).toBe('UNAUTHORIZED');
      expect(await codeOf(app.client.listTransactions({}))).toBe('UNAUTHORIZED');
    }
  });

  it('answers an unknown client key with UNAUTHORIZED', async () => {
    const app = await h.connect();
    const { NWCClient } = await import('@getalby/sdk/nwc');
    const stranger = new NWCClient({ nostrWalletConnectUrl: app.uri.replace(/secret=[0-9a-f]+/, `secret=${bytesToHex(randomBytes(32))}`) });
    try {
      expect(await codeOf(stranger.getBalance())).toBe('UNAUTHORIZED');
    } finally {
      stranger.close();
    }
  });

  it('keeps an isolated sub-wallet apart from the user\'s balance', async () => {
    const main = await h.connect({ name: 'main' });
    await h.fund(main.accountId, 5_000_000n);
    const isolated = await h.connect({ user: main.user, name: 'isolated', isolated: true });
    expect(isolated.accountId).not.toBe(main.accountId);
    expect(await isolated.client.getBalance()).toEqual({ balance: 0 });
    expect(await codeOf(isolated.client.payInvoice({ invoice: await h.wallet.externalInvoice(1000n) }))).toBe('INSUFFICIENT_BALANCE');
    const inv = await isolated.client.makeInvoice({ amount: 40_000 });
    await main.client.payInvoice({ invoice: inv.invoice });
    expect(await isolated.client.getBalance()).toEqual({ balance: 40_000 });
    expect(await main.client.getBalance()).toEqual({ balance: 4_960_000 });
    expect((await isolated.client.listTransactions({})).transactions.map((t) => t.type)).toEqual(['incoming']);
  });
});

describe('the ledger', () => {
  it('is consistent after everything above', async () => {
    expect(await check(h.wallet.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
