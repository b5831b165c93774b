// A BTCPay store on a business account through BTCPay's Nostr plugin: the exact requests its
// NostrWalletConnectLightningClient (NNostr's NIP47) sends — NIP-04 with no encryption tag,
// params as System.Text.Json writes them — and the fields it reads back, which its
// deserialiser needs as numbers (amount, fees_paid, created_at) and BOLT 11 (invoice).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, type Business } from '../../core/business/business.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { decrypt, kinds, peer } from '../../bots/nwc/nip47.ts';
import { btcpayConnection } from '../../cli/btcpay.ts';
import { startNwcHarness, RawApp, type NwcHarness } from '../support/nwc.ts';
import { WireClient } from '../support/relay.ts';
import { newPubkey } from '../support/wallet.ts';

let h: NwcHarness;
let business: Business;
let store: RawApp;
let servicePubkey: string;
let notifications: WireClient;
let answers: WireClient;
beforeAll(async () => {
  h = await startNwcHarness();
  business = await createBusiness(h.wallet.ctx, { pubkey: newPubkey(), name: 'Coffee shop' });
  const { connection, connectionString } = await btcpayConnection(h.wallet.ctx, business, { budgetSats: 10_000n });
  expect(connectionString).toMatch(/^type=nwc;key=nostr\+walletconnect:\/\/[0-9a-f]{64}\?/);
  servicePubkey = connection.servicePubkey;
  while (!h.service.connection(servicePubkey)) await new Promise((r) => setTimeout(r, 10));
  store = await RawApp.open(connectionString.slice('type=nwc;key='.length), [h.relays[0]!.url]);
  notifications = await WireClient.open(h.relays[0]!.url);
  answers = await WireClient.open(h.relays[0]!.url);
  answers.send(['REQ', 'answers', { kinds: [kinds.response], '#p': [store.pubkey], limit: 0 }]);
  await answers.next((m) => m[0] === 'EOSE' && m[1] === 'answers');
}, 60_000);
afterAll(async () => {
  notifications?.close();
  answers?.close();
  store?.close();
  await h?.close();
});

/**
 * A request as NNostr sends it (NIP-04, no encryption tag), its answer read from a subscription
 * opened before, as SendEventAndWaitForReply does (large answers are not kept for later REQs).
 */
async function call(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const e = store.request({ method, params }, { encryption: null });
  const from = answers.received.length;
  await store.send(e, [0]);
  const [, , answer] = await answers.next((m) => m[0] === 'EVENT' && (m[2] as { tags: string[][] }).tags.some((t) => t[0] === 'e' && t[1] === e.id), from, 10_000);
  return JSON.parse(decrypt('nip04', peer(store.secret, servicePubkey), (answer as { content: string }).content)) as Record<string, unknown>;
}

/** The fields ToLightningInvoice / ToLightningPayment read, with the types its deserialiser needs. */
function expectPluginReadable(tx: Record<string, unknown>) {
  for (const f of ['amount', 'fees_paid', 'created_at']) expect(typeof tx[f], f).toBe('number');
  expect(decodeBolt11(tx.invoice as string).network).toBe('regtest');
  expect(tx.payment_hash).toMatch(/^[0-9a-f]{64}$/);
  if (tx.expires_at !== undefined) expect(typeof tx.expires_at).toBe('number');
}

describe("BTCPay's Nostr plugin on a business account", () => {
  let paymentHash: string;
  let invoice: string;

  it('finds the required methods and payment_received in the info event, and the chain in get_info', async () => {
    // FetchNIP47AvailableCommands: kind 13194 by the wallet key, content split on spaces.
    const { events } = await notifications.query('info', { kinds: [kinds.info], authors: [servicePubkey], limit: 1 });
    const commands = events[0]!.content.split(' ');
    for (const m of ['get_info', 'make_invoice', 'lookup_invoice', 'list_transactions', 'pay_invoice']) expect(commands).toContain(m);
    const advertised = events[0]!.tags.filter((t) => t[0] === 'notifications').flatMap((t) => t[1]!.split(' '));
    expect(advertised).toContain('payment_received');

    const info = await call('get_info', {});
    expect(info.error).toBeNull();
    const result = info.result as { network: string; methods: string[] };
    expect(result.network.toLowerCase()).toBe('regtest'); // compared with NBitcoin's ChainName, ignoring case
    for (const m of ['get_info', 'make_invoice', 'lookup_invoice', 'list_transactions']) expect(result.methods).toContain(m);
  });

  it('creates a hash-only invoice, notifies payment_received and looks it up settled', async () => {
    // The plugin's Listen(): authors = wallet, #p = its key; it keeps only kind 23196 (NIP-04).
    notifications.send(['REQ', 'notes', { authors: [servicePubkey], '#p': [store.pubkey] }]);
    await notifications.next((m) => m[0] === 'EOSE' && m[1] === 'notes');

    const description = JSON.stringify([['text/plain', 'Order #1042 at Coffee shop']]);
    const descriptionHash = createHash('sha256').update(description).digest('hex');
    // CreateInvoice with DescriptionHashOnly: no description, the hash, expiry in seconds.
    const made = await call('make_invoice', { amount: 21_000_000, description_hash: descriptionHash, expiry: 900 });
    expect(made.error).toBeNull();
    const tx = made.result as Record<string, unknown>;
    expectPluginReadable(tx);
    expect(tx).toMatchObject({ type: 'incoming', amount: 21_000_000 });
    expect(tx.settled_at).toBeUndefined();
    invoice = tx.invoice as string;
    paymentHash = tx.payment_hash as string;
    const decoded = decodeBolt11(invoice);
    expect(decoded).toMatchObject({ descriptionHash, amountMsat: 21_000_000n, paymentHash });
    expect(tx.expires_at).toBe(Math.floor(decoded.expiresAt.getTime() / 1000));

    // A customer pays from outside (what `flash dev pay` does).
    const from = notifications.received.length;
    expect(await h.wallet.external.payInvoice({ paymentRequest: invoice, maxFeeMsat: 1_000_000n, timeoutSeconds: 30 })).toMatchObject({ status: 'succeeded' });

    const event = (await notifications.next((m) => m[0] === 'EVENT' && m[1] === 'notes' && (m[2] as { kind: number }).kind === kinds.notificationNip04, from, 10_000))[2] as { content: string };
    const note = JSON.parse(decrypt('nip04', peer(store.secret, servicePubkey), event.content)) as { notification_type: string; notification: Record<string, unknown> };
    expect(note.notification_type).toBe('payment_received');
    expectPluginReadable(note.notification);
    expect(note.notification).toMatchObject({ type: 'incoming', payment_hash: paymentHash, invoice, amount: 21_000_000, settled_at: expect.any(Number) });
    expect(createHash('sha256').update(Buffer.from(note.notification.preimage as string, 'hex')).digest('hex')).toBe(paymentHash);

    // GetInvoice(paymentHash): lookup_invoice by payment_hash only.
    const looked = await call('lookup_invoice', { payment_hash: paymentHash });
    expect(looked.error).toBeNull();
    expectPluginReadable(looked.result as Record<string, unknown>);
    expect(looked.result).toMatchObject({ type: 'incoming', invoice, preimage: note.notification.preimage, settled_at: expect.any(Number), expires_at: tx.expires_at, created_at: tx.created_at });
    expect(await balance(h.wallet.ctx.sql, business.accountId)).toBe(21_000_000n);
  });

  it("lists as the plugin's poll and ListInvoices do: settled ones first, unpaid only when asked", async () => {
    // An invoice nobody paid: the poll (no unpaid) must not spend its rows on it.
    const stale = await call('make_invoice', { amount: 5_000, description: 'never paid', expiry: 900 });
    const staleHash = (stale.result as { payment_hash: string }).payment_hash;

    // More settled invoices than the 50 a page used to hold: the poll must see all of them.
    const settled = [paymentHash];
    for (let i = 0; i < 55; i++) {
      const made = (await call('make_invoice', { amount: 1_000, description: `tip ${i}` })).result as { invoice: string; payment_hash: string };
      await h.wallet.external.payInvoice({ paymentRequest: made.invoice, maxFeeMsat: 1_000_000n, timeoutSeconds: 30 });
      settled.unshift(made.payment_hash);
    }
    // Our node credits its invoices as its watcher hears of them.
    while ((await h.wallet.ctx.sql`select 1 from transactions where account_id = ${business.accountId} and direction = 'incoming' and status = 'succeeded'`).length < settled.length) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const poll = await call('list_transactions', { limit: 300, type: 'incoming' });
    const polled = (poll.result as { transactions: Array<Record<string, unknown>> }).transactions;
    expect(polled.map((t) => t.payment_hash)).toEqual(settled);
    polled.forEach(expectPluginReadable);

    const listed = await call('list_transactions', { type: 'incoming', unpaid: true });
    expect((listed.result as { transactions: Array<{ payment_hash: string }> }).transactions.map((t) => t.payment_hash)).toEqual(settled.slice(0, 20));
    const offset = await call('list_transactions', { type: 'incoming', offset: 55, unpaid: true });
    expect((offset.result as { transactions: Array<{ payment_hash: string }> }).transactions.map((t) => t.payment_hash)).toEqual([staleHash, paymentHash]);
  });

  it('pays a refund with pay_invoice as NNostr writes it ("Invoice") and finds it by lookup_invoice', async () => {
    const before = await balance(h.wallet.ctx.sql, business.accountId);
    const refund = await h.wallet.externalInvoice(1_000_000n);
    const paid = await call('pay_invoice', { Invoice: refund });
    expect(paid.error).toBeNull();
    const { preimage, fees_paid } = paid.result as { preimage: string; fees_paid: number };
    expect(preimage).toMatch(/^[0-9a-f]{64}$/);

    const hash = decodeBolt11(refund).paymentHash;
    const looked = await call('lookup_invoice', { payment_hash: hash });
    const tx = looked.result as Record<string, unknown>;
    expectPluginReadable(tx);
    expect(tx).toMatchObject({ type: 'outgoing', invoice: refund, preimage, fees_paid, amount: 1_000_000, settled_at: expect.any(Number) });
    const payments = await call('list_transactions', { type: 'outgoing' });
    expect((payments.result as { transactions: Array<{ payment_hash: string }> }).transactions.map((t) => t.payment_hash)).toEqual([hash]);
    expect(await balance(h.wallet.ctx.sql, business.accountId)).toBe(before - 1_000_000n - BigInt(fees_paid));
  });

  it('keeps the store within its budget and the ledger consistent', async () => {
    const big = await h.wallet.externalInvoice(15_000_000n);
    expect(await call('pay_invoice', { Invoice: big })).toMatchObject({ error: { code: 'QUOTA_EXCEEDED' } });
    for (const rules of [ledgerRules, paymentRules]) expect(await check(h.wallet.ctx.sql, rules)).toEqual([]);
  });
});
