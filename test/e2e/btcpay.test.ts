// A business's BTCPay store, linked through Greenfield (the stand-in checks every call against
// BTCPay's OpenAPI document): signed webhooks, rewards on settled invoices (to an npub, to a
// lightning address, by a claimable pull payment), and Flash as the store's payout processor.
import { createHmac, randomBytes } from 'node:crypto';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeLnurl } from '../../core/lnurl.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { setRewardRule } from '../../core/btcpay/rewards.ts';
import { createCard, wipeCard } from '../../core/cards/cards.ts';
import { webhookPath } from '../../core/btcpay/links.ts';
import { ok } from '../../workers/btcpay/greenfield.ts';
import { runPayouts } from '../../workers/btcpay/payouts.ts';
import { openStore } from '../../workers/btcpay/store.ts';
import { retryDeliveries } from '../../workers/btcpay/module.ts';
import { linkStore, requiredPermissions } from '../../workers/btcpay/link.ts';
import { REDELIVERY_DELAYS_MS } from '../sims/btcpay/server.ts';
import { startBtcpayHarness, until, type BtcpayHarness } from '../support/btcpay.ts';

let h: BtcpayHarness;
const sql = () => h.wallet.ctx.sql;
beforeAll(async () => {
  h = await startBtcpayHarness({ BTCPAY_PAY_WAIT_SECONDS: '1' });
  await setRewardRule(sql(), h.business.accountId, { percent: '2', maxSats: '1000' });
}, 60_000);
afterEach(() => {
  // Every call Flash made, and every response and webhook of the stand-in, matched the document.
  expect(h.sim.problems).toEqual([]);
});
afterAll(async () => {
  if (h) for (const rules of [ledgerRules, paymentRules]) expect(await check(sql(), rules)).toEqual([]);
  await h?.close();
});

/** An invoice of the store in BTC, as its point of sale would create it. */
async function storeInvoice(btc: string, metadata: Record<string, unknown>) {
  return ok('create invoice', h.owner.POST('/api/v1/stores/{storeId}/invoices', { params: { path: { storeId: h.storeId } }, body: { amount: btc, currency: 'BTC', metadata } }));
}
const reward = (invoiceId: string) => until(
  async () => (await sql()<{ status: string; amount_msat: bigint; transaction_id: string | null; claim_link: string | null; pull_payment_id: string | null }[]>`
    select * from btcpay_rewards where link_id = ${h.link.id} and invoice_id = ${invoiceId}`)[0],
  (r) => r !== undefined && r.status !== 'pending').then((r) => r!);
const outgoing = async () => (await sql()`select 1 from transactions where account_id = ${h.business.accountId} and direction = 'outgoing'`).length;
const post = (path: string, body: string, sig?: string) => fetch(`${h.wallet.ctx.config.publicUrl}${path}`, {
  method: 'POST', body, headers: { 'content-type': 'application/json', ...(sig && { 'btcpay-sig': sig }) },
});
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('linking a store', () => {
  it('registers a signed webhook for InvoiceSettled and PayoutApproved at our URL; the secret is sealed', async () => {
    const hook = h.sim.webhooks.get(h.link.webhookId)!;
    expect(hook).toMatchObject({ url: `${h.wallet.ctx.config.publicUrl}${webhookPath(h.link.id)}`, automaticRedelivery: true, authorizedEvents: { everything: false, specificEvents: ['InvoiceSettled', 'PayoutApproved'] } });
    const rows = JSON.stringify(await sql()`select row_to_json(l)::text from btcpay_links l`);
    expect(rows).not.toContain(hook.secret);
    expect(rows).not.toContain([...h.sim.apiKeys.keys()][0]);
  });

  it('refuses a key without the permissions it needs, naming them, and registers nothing', async () => {
    const weak = h.sim.createApiKey([`btcpay.store.canviewinvoices:${h.storeId}`]);
    const before = h.sim.webhooks.size;
    await expect(linkStore(h.wallet.ctx, { businessAccountId: h.business.accountId, url: h.sim.url, storeId: h.storeId, apiKey: weak }))
      .rejects.toMatchObject({ code: 'missing_permissions', message: expect.stringContaining('btcpay.store.webhooks.canmodifywebhooks') });
    const otherStore = h.sim.createApiKey(Object.keys(requiredPermissions).map((p) => `${p}:another`));
    await expect(linkStore(h.wallet.ctx, { businessAccountId: h.business.accountId, url: h.sim.url, storeId: h.storeId, apiKey: otherStore })).rejects.toMatchObject({ code: 'missing_permissions' });
    expect(h.sim.webhooks.size).toBe(before);
  });
});

describe('webhooks', () => {
  it('refuses unknown links, bad signatures, malformed and stale bodies, recording nothing', async () => {
    const secret = h.sim.webhooks.get(h.link.webhookId)!.secret;
    const good = { deliveryId: 'd1', webhookId: h.link.webhookId, originalDeliveryId: 'd1', isRedelivery: false, type: 'InvoiceSettled', timestamp: Math.floor(Date.now() / 1000), storeId: h.storeId, invoiceId: 'x' };
    const body = JSON.stringify(good);
    const path = webhookPath(h.link.id);
    expect((await post(webhookPath('00000000-0000-4000-8000-000000000000'), body, sign(secret, body))).status).toBe(404);
    expect((await post(webhookPath('not-a-uuid'), body, sign(secret, body))).status).toBe(404);
    expect((await post(path, body)).status).toBe(401);
    expect((await post(path, body, sign('wrong secret', body))).status).toBe(401);
    expect((await post(path, `${body} `, sign(secret, body))).status).toBe(401); // the bytes, not the JSON
    const refusal = await post(path, '{"deliveryId":', sign(secret, '{"deliveryId":'));
    expect(refusal.status).toBe(400);
    expect(await refusal.json()).toMatchObject({ error: 'malformed' });
    for (const bad of [{ ...good, deliveryId: 7 }, { ...good, webhookId: 'another' }, { ...good, timestamp: good.timestamp - 7200 }]) {
      const b = JSON.stringify(bad);
      expect((await post(path, b, sign(secret, b))).status, b).toBe(400);
    }
    expect(await sql()`select 1 from btcpay_deliveries`).toHaveLength(0);
  });
});

describe('rewards', () => {
  it('pays an npub buyer 2 % capped at 1000 sats, told by DM, once however often BTCPay delivers', async () => {
    const dm = await h.dmUser();
    const buyerKey = dm.pk;
    const buyer = await accounts.forPubkey(sql(), buyerKey);
    const inv = await storeInvoice('0.001', { orderId: 'A1', flashBuyer: nip19.npubEncode(buyerKey) });
    await h.sim.settleInvoice(inv.id!);
    const r = await reward(inv.id!);
    expect(r).toMatchObject({ status: 'paid', amount_msat: 1_000_000n });
    expect(await balance(sql(), buyer.id)).toBe(1_000_000n);
    // The transfer carries the DM bot's notice flag: the buyer is told by DM.
    const [t] = await sql()<{ metadata: Record<string, unknown> }[]>`select metadata from transactions where account_id = ${buyer.id}`;
    expect(t!.metadata).toMatchObject({ notify: true, btcpay: { invoiceId: inv.id, reward: true } });
    const notice = await dm.waitFor(/1,000 sats/);
    expect(notice.text).toContain(`Reward for your purchase (BTCPay invoice ${inv.id})`);

    const first = h.sim.deliveries.find((d) => JSON.parse(d.body).invoiceId === inv.id)!;
    const again = [await h.sim.redeliver(first.id), await h.sim.redeliver(first.id)];
    expect(again.map((d) => d.status)).toEqual([200, 200]);
    expect(new Set([first.id, ...again.map((d) => d.id)]).size).toBe(3);
    expect(again.every((d) => JSON.parse(d.body).originalDeliveryId === first.id && JSON.parse(d.body).isRedelivery)).toBe(true);
    await h.wallet.ctx.bus.call('btcpay.delivery', { linkId: h.link.id, originalDeliveryId: first.id }, { id: `check-${first.id}`, timeoutMs: 10_000 });
    expect(await balance(sql(), buyer.id)).toBe(1_000_000n);
    // Recorded once: the redeliveries were recognised by their original delivery id.
    expect(await sql()`select original_delivery_id, delivery_id from btcpay_deliveries where body->>'invoiceId' = ${inv.id!}`).toEqual([{ original_delivery_id: first.id, delivery_id: first.id }]);
  });

  it("pays a lightning address elsewhere through its LNURL server", async () => {
    const inv = await storeInvoice('0.0002', { flashBuyer: 'alice@shop.test' });
    await h.sim.settleInvoice(inv.id!);
    expect(await reward(inv.id!)).toMatchObject({ status: 'paid', amount_msat: 400_000n });
    expect(h.lnurl.issued.map((i) => i.amountMsat)).toEqual([400_000n]);
  });

  it('leaves a buyer with no address a pull payment, claimed by LNURL-withdraw and paid as a payout', async () => {
    const inv = await storeInvoice('0.0005', { orderId: 'walk-in' });
    await h.sim.settleInvoice(inv.id!);
    const r = await reward(inv.id!);
    expect(r).toMatchObject({ status: 'pull_payment', amount_msat: 1_000_000n, claim_link: expect.stringMatching(/^lightning:LNURL1/) });
    expect(h.sim.pullPayments.get(r.pull_payment_id!)).toMatchObject({ amount: '0.00001000', currency: 'BTC', autoApproveClaims: true });

    // The buyer's wallet: LUD-03 withdraw request, then the callback with its invoice.
    const withdraw = await (await fetch(decodeLnurl(r.claim_link!.replace(/^lightning:/, '')))).json() as { tag: string; callback: string; k1: string; maxWithdrawable: number };
    expect(withdraw).toMatchObject({ tag: 'withdrawRequest', maxWithdrawable: 1_000_000 });
    const pr = await h.wallet.externalInvoice(1_000_000n);
    const claimed = await (await fetch(`${withdraw.callback}?k1=${withdraw.k1}&pr=${pr}`)).json();
    expect(claimed).toEqual({ status: 'OK' });

    // PayoutApproved → the payout run pays the buyer's invoice from the business and marks it paid.
    const payout = await until(async () => [...h.sim.payouts.values()].find((p) => p.pullPaymentId === r.pull_payment_id), (p) => p?.state === 'Completed');
    expect(payout!.destination).toBe(pr);
    const [paid] = await sql()<{ status: string }[]>`select status from transactions where account_id = ${h.business.accountId} and payment_request = ${pr}`;
    expect(paid!.status).toBe('succeeded');
  });

  it('acts on a delivery whose job was lost (Redis emptied, attempts run out) at the next sweep', async () => {
    const buyer = await accounts.forPubkey(sql(), getPublicKey(generateSecretKey()));
    const inv = await storeInvoice('0.0001', { flashBuyer: buyer.pubkey });
    h.sim.invoices.get(inv.id!)!.status = 'Settled';
    // Recorded by the API, its job gone.
    const body = { deliveryId: 'lost-1', webhookId: h.link.webhookId, originalDeliveryId: 'lost-1', isRedelivery: false, type: 'InvoiceSettled', timestamp: 1, storeId: h.storeId, invoiceId: inv.id };
    await sql()`insert into btcpay_deliveries (link_id, original_delivery_id, delivery_id, type, body) values (${h.link.id}, 'lost-1', 'lost-1', 'InvoiceSettled', ${sql().json(body)})`;
    expect(await retryDeliveries(h.wallet.ctx, 0, 1)).toBe(1);
    expect(await reward(inv.id!)).toMatchObject({ status: 'paid', amount_msat: 200_000n });
    await until(async () => (await sql()<{ processed_at: Date | null }[]>`select processed_at from btcpay_deliveries where original_delivery_id = 'lost-1'`)[0]!.processed_at, (d) => d !== null);
    expect(await retryDeliveries(h.wallet.ctx, 0, 2)).toBe(0);
  });

  it('pays a Flash Card buyer\'s reward to the card\'s holder; an unknown or wiped card gets a pull payment', async () => {
    const holder = await accounts.forPubkey(sql(), getPublicKey(generateSecretKey()));
    const { card } = await createCard(h.wallet.ctx, { accountId: holder.id });
    const inv = await storeInvoice('0.0001', { flashCardId: card.id });
    await h.sim.settleInvoice(inv.id!);
    expect(await reward(inv.id!)).toMatchObject({ status: 'paid', amount_msat: 200_000n });
    expect(await balance(sql(), holder.id)).toBe(200_000n);
    expect((await sql()<{ buyer: string }[]>`select buyer from btcpay_rewards where invoice_id = ${inv.id!}`)[0]!.buyer).toBe(`card:${card.id}`);

    await wipeCard(h.wallet.ctx, holder.id, card.id);
    for (const cardId of [card.id, 'card-123']) {
      const later = await storeInvoice('0.0001', { flashCardId: cardId });
      await h.sim.settleInvoice(later.id!);
      expect(await reward(later.id!)).toMatchObject({ status: 'pull_payment', amount_msat: 200_000n });
    }
    expect(await balance(sql(), holder.id)).toBe(200_000n);
  });

  it('redelivers a failed delivery on BTCPay\'s schedule; the late delivery still rewards once', async () => {
    const hook = h.sim.webhooks.get(h.link.webhookId)!;
    const url = hook.url;
    hook.url = 'http://127.0.0.1:1/down';
    const buyerKey = getPublicKey(generateSecretKey());
    const buyer = await accounts.forPubkey(sql(), buyerKey);
    const inv = await storeInvoice('0.0001', { flashBuyer: buyerKey });
    const from = h.sim.deliveries.length;
    await h.sim.settleInvoice(inv.id!);
    await h.sim.advance(REDELIVERY_DELAYS_MS[0]! - 1);
    expect(h.sim.deliveries.length - from).toBe(1);
    await h.sim.advance(1);
    expect(h.sim.deliveries.length - from).toBe(2);
    hook.url = url;
    await h.sim.advance(REDELIVERY_DELAYS_MS[1]!);
    const sent = h.sim.deliveries.slice(from);
    expect(sent.map((d) => d.status ?? 'failed')).toEqual(['failed', 'failed', 200]);
    expect(new Set(sent.map((d) => JSON.parse(d.body).originalDeliveryId))).toEqual(new Set([sent[0]!.id]));
    expect(await reward(inv.id!)).toMatchObject({ status: 'paid', amount_msat: 200_000n });
    expect(await balance(sql(), buyer.id)).toBe(200_000n);
  });
});

describe('payouts', () => {
  const approve = async (destination: string, btc: string) => ok('create payout', h.owner.POST('/api/v1/stores/{storeId}/payouts', {
    params: { path: { storeId: h.storeId } }, body: { destination, amount: btc, payoutMethodId: 'BTC-LN', approved: true },
  }));

  it('pays an approved payout once and marks it paid, with runs racing each other', async () => {
    const pr = await h.wallet.externalInvoice(2_000_000n);
    const before = await outgoing();
    const p = await approve(pr, '0.00002');
    // The webhook's run, and two more at once (another worker, the schedule).
    const racing = await Promise.all([0, 1].map(async () => runPayouts(h.wallet.ctx, await openStore(h.wallet.ctx, h.link.id))));
    expect(racing.every((r) => r.failed === 0)).toBe(true);
    await until(async () => h.sim.payouts.get(p.id!)!.state, (s) => s === 'Completed');
    expect(await outgoing()).toBe(before + 1);
    // Later runs (the schedule, another worker) pay nothing more.
    const again = await runPayouts(h.wallet.ctx, await openStore(h.wallet.ctx, h.link.id));
    expect(again).toEqual({ paid: 0, marked: 0, failed: 0, pending: 0 });
    expect(await outgoing()).toBe(before + 1);
  });

  it('pays a payout to a lightning address through LNURL-pay, once', async () => {
    const before = await outgoing();
    const issued = h.lnurl.issued.length;
    const p = await approve('alice@shop.test', '0.00003');
    await until(async () => h.sim.payouts.get(p.id!)!.state, (s) => s === 'Completed');
    expect(h.lnurl.issued.slice(issued).map((i) => i.name)).toEqual(['alice']);
    expect(await outgoing()).toBe(before + 1);
    const [paid] = await sql()<{ amount_msat: bigint; status: string }[]>`
      select t.amount_msat, t.status from btcpay_payouts b join transactions t on t.id = b.transaction_id where b.payout_id = ${p.id!}`;
    expect(paid).toEqual({ amount_msat: 3_000_000n, status: 'succeeded' });
    expect(await runPayouts(h.wallet.ctx, await openStore(h.wallet.ctx, h.link.id))).toEqual({ paid: 0, marked: 0, failed: 0, pending: 0 });
    expect(await outgoing()).toBe(before + 1);
  });

  it('after a crash between paying and marking, marks on the next run without paying twice', async () => {
    const store = await openStore(h.wallet.ctx, h.link.id);
    const payoutRow = (id: string) => async () => (await sql()<{ status: string }[]>`select status from btcpay_payouts where payout_id = ${id}`)[0]?.status;
    const before = await outgoing();

    // Paid, recorded as paid, then the connection to BTCPay dropped before it was marked.
    h.sim.faults.add('POST /api/v1/payouts/{payoutId}/mark-paid');
    const p1 = await approve(await h.wallet.externalInvoice(3_000_000n), '0.00003');
    await until(payoutRow(p1.id!), (s) => s === 'paid');
    await until(async () => h.sim.faults.size, (n) => n === 0);
    expect(h.sim.payouts.get(p1.id!)!.state).toBe('AwaitingPayment');
    expect(await runPayouts(h.wallet.ctx, store)).toEqual({ paid: 0, marked: 1, failed: 0, pending: 0 });
    expect(h.sim.payouts.get(p1.id!)!.state).toBe('Completed');

    // Paid, then the process died before its row said so: the next run finds the payment by its key.
    h.sim.faults.add('POST /api/v1/payouts/{payoutId}/mark-paid');
    const p2 = await approve(await h.wallet.externalInvoice(4_000_000n), '0.00004');
    await until(payoutRow(p2.id!), (s) => s === 'paid');
    await until(async () => h.sim.faults.size, (n) => n === 0);
    await sql()`update btcpay_payouts set status = 'paying' where payout_id = ${p2.id!}`;
    expect(await runPayouts(h.wallet.ctx, store)).toEqual({ paid: 1, marked: 1, failed: 0, pending: 0 });
    expect(h.sim.payouts.get(p2.id!)!.state).toBe('Completed');
    expect(await outgoing()).toBe(before + 2);
  });

  it('marks a payout whose payment has no outcome yet InProgress, and paid once it succeeds', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    h.wallet.node.faults.beforeSend = async () => {
      h.wallet.node.faults.beforeSend = undefined;
      await held;
    };
    const pr = await h.wallet.externalInvoice(5_000_000n);
    const before = await outgoing();
    const p = await approve(pr, '0.00005');
    await until(async () => h.sim.payouts.get(p.id!)!.state, (s) => s === 'InProgress');
    const [t] = await sql()<{ status: string }[]>`select status from transactions where account_id = ${h.business.accountId} and payment_request = ${pr}`;
    expect(t!.status).toBe('pending');
    release();
    await until(async () => (await sql()<{ status: string }[]>`select status from transactions where account_id = ${h.business.accountId} and payment_request = ${pr}`)[0]!.status, (s) => s === 'succeeded');
    expect(await runPayouts(h.wallet.ctx, await openStore(h.wallet.ctx, h.link.id))).toEqual({ paid: 1, marked: 1, failed: 0, pending: 0 });
    expect(h.sim.payouts.get(p.id!)!.state).toBe('Completed');
    expect(await outgoing()).toBe(before + 1);
  });

  it('leaves a payout whose payment failed for the next run, under a new attempt', async () => {
    // An invoice of a node nobody routes to: the fake network fails it.
    const stranger = encodeBolt11({
      privateKey: generateSecretKey(), network: 'regtest', paymentHash: randomBytes(32).toString('hex'), paymentSecret: randomBytes(32).toString('hex'),
      amountMsat: 1_000_000n, description: 'refund', createdAt: new Date(), expirySeconds: 3600, cltvDelta: 40,
    });
    const p = await approve(stranger, '0.00001');
    const row = await until(async () => (await sql()<{ attempt: number; status: string }[]>`select attempt, status from btcpay_payouts where payout_id = ${p.id!}`)[0], (r) => r?.attempt === 2);
    expect(row).toMatchObject({ status: 'paying' });
    expect(h.sim.payouts.get(p.id!)!.state).toBe('AwaitingPayment');
  });
});
