// Flash Cards end to end: a card is programmed from the service's programming JSON (as the
// Boltcard NFC Programmer app reads it), tapped by the NTAG 424 simulator at a point of sale
// speaking LNURL-withdraw over HTTP, and pays invoices of the outside node from its holder's
// balance through the payment engine and the workers on the fake Lightning node.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import { createCard, setEnabled, setLimit } from '../../core/cards/cards.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { SimulatedCard, lnurlwToHttp, type ProgrammingJson } from '../sims/boltcard/card.ts';
import { startCardService, submitInvoice, tapCard, type CardService } from '../support/cards.ts';
import { fund } from '../support/wallet.ts';

let svc: CardService;
beforeAll(async () => { svc = await startCardService(); }, 60_000);
afterAll(async () => { await svc?.close(); });

const sql = () => svc.wallet.ctx.sql;

/** A funded holder and a card programmed from its one-time link. */
async function issued(fundMsat = 1_000_000_000n, limits: { tapLimitMsat?: bigint; dayLimitMsat?: bigint } = {}) {
  const accountId = await svc.wallet.user(fundMsat);
  const { card, programUrl } = await createCard(svc.wallet.ctx, { accountId, name: 'test card', ...limits });
  const json = await svc.get(programUrl);
  expect(json.status).toBe(200);
  return { accountId, card, sim: SimulatedCard.program(json.body as unknown as ProgrammingJson) };
}

const outgoing = (accountId: string) => sql()<{ status: string; amount_msat: bigint; metadata: { card?: string } }[]>`
  select status, amount_msat, metadata from transactions where account_id = ${accountId} and direction = 'outgoing'`;

describe('programming', () => {
  it('gives the Boltcard programmer JSON once: protocol, lnurlw base of the card, five keys', async () => {
    const accountId = await svc.wallet.user();
    const { card, programUrl } = await createCard(svc.wallet.ctx, { accountId, name: 'mine' });
    const first = await svc.get(programUrl);
    expect(first.body).toMatchObject({
      protocol_name: 'create_bolt_card_response', protocol_version: 2, card_name: 'mine',
      lnurlw_base: `lnurlw://flash.test/cards/tap/${card.id}`,
    });
    for (const k of ['k0', 'k1', 'k2', 'k3', 'k4']) expect(first.body[k]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => first.body[k])).size).toBe(5);
    const again = await svc.get(programUrl);
    expect(again).toMatchObject({ status: 400, body: { status: 'ERROR', reason: expect.stringMatching(/used already/) } });
    // The keys are sealed at rest.
    const [row] = await sql()<{ keys_sealed: string }[]>`select keys_sealed from cards where id = ${card.id}`;
    expect(row!.keys_sealed).toMatch(/^v1:/);
    expect(row!.keys_sealed).not.toContain(String(first.body.k1));
  });
});

describe('paying', () => {
  it('tap → withdraw request → pays the invoice from the holder\'s balance, recording the card', async () => {
    const { accountId, card, sim } = await issued(1_000_000_000n);
    const tapped = await tapCard(svc, sim);
    expect(tapped.status).toBe(200);
    expect(tapped.body).toMatchObject({
      tag: 'withdrawRequest', callback: 'https://flash.test/cards/callback', k1: expect.stringMatching(/^[0-9a-f]{64}$/),
      minWithdrawable: 1000, maxWithdrawable: Number(svc.wallet.ctx.config.CARD_TAP_LIMIT_MSAT),
    });
    const pr = await svc.wallet.externalInvoice(21_000_000n);
    expect(await submitInvoice(svc, tapped.body, pr)).toEqual({ status: 200, body: { status: 'OK' } });
    await expect.poll(async () => (await outgoing(accountId))[0]?.status).toBe('succeeded');
    expect(await balance(sql(), accountId)).toBe(1_000_000_000n - 21_000_000n - fakeRoutingFeeMsat(21_000_000n));
    const [payment] = await outgoing(accountId);
    expect(payment!.metadata.card).toBe(card.id);
    const [t] = await sql()<{ transaction_id: string | null }[]>`select transaction_id from card_taps where k1 = ${String(tapped.body.k1)}`;
    expect(t!.transaction_id).not.toBeNull();
    // The same callback again (a POS retrying) is answered OK and pays nothing more.
    expect(await submitInvoice(svc, tapped.body, pr)).toEqual({ status: 200, body: { status: 'OK' } });
    expect(await outgoing(accountId)).toHaveLength(1);
  });

  it('two taps with the same counter: the second is refused and pays nothing', async () => {
    const { accountId, sim } = await issued();
    const url = lnurlwToHttp(sim.tap());
    const first = await svc.get(url);
    expect(first.status).toBe(200);
    const replay = await svc.get(url);
    expect(replay).toMatchObject({ status: 400, body: { status: 'ERROR', reason: expect.stringMatching(/seen already/) } });
    // A lower counter, with a valid MAC, is a replay too.
    const older = sim.sun(sim.counter - 1);
    expect((await svc.get(`https://flash.test/cards/tap/${(await sql()`select id from cards where account_id = ${accountId}`)[0]!.id}?p=${older.p}&c=${older.c}`)).status).toBe(400);
    expect(await submitInvoice(svc, first.body, await svc.wallet.externalInvoice(5_000_000n))).toMatchObject({ body: { status: 'OK' } });
    await expect.poll(async () => (await outgoing(accountId)).map((p) => p.status)).toEqual(['succeeded']);
  });

  it('two concurrent callbacks with one k1 pay once, with one invoice or with two', async () => {
    const { accountId, sim } = await issued();
    const same = await tapCard(svc, sim);
    const pr = await svc.wallet.externalInvoice(7_000_000n);
    const answers = await Promise.all([submitInvoice(svc, same.body, pr), submitInvoice(svc, same.body, pr)]);
    expect(answers.map((a) => a.body.status)).toEqual(['OK', 'OK']);
    const other = await tapCard(svc, sim);
    const [a, b] = await Promise.all([
      submitInvoice(svc, other.body, await svc.wallet.externalInvoice(8_000_000n)),
      submitInvoice(svc, other.body, await svc.wallet.externalInvoice(9_000_000n)),
    ]);
    expect([a.body.status, b.body.status].sort()).toEqual(['ERROR', 'OK']);
    await expect.poll(async () => (await outgoing(accountId)).map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
    const amounts = (await outgoing(accountId)).map((p) => p.amount_msat).sort();
    expect(amounts[0]).toBe(7_000_000n);
    expect([8_000_000n, 9_000_000n]).toContain(amounts[1]);
  });
});

describe('limits and control', () => {
  it('refuses an invoice above the tap limit before anything is reserved', async () => {
    const { accountId, sim } = await issued(1_000_000_000n, { tapLimitMsat: 10_000_000n });
    const tapped = await tapCard(svc, sim);
    expect(tapped.body.maxWithdrawable).toBe(10_000_000);
    const answer = await submitInvoice(svc, tapped.body, await svc.wallet.externalInvoice(10_001_000n));
    expect(answer).toMatchObject({ status: 400, body: { status: 'ERROR', reason: expect.stringMatching(/limit of 10000 sats per payment/) } });
    expect(await outgoing(accountId)).toEqual([]);
    expect(await balance(sql(), accountId)).toBe(1_000_000_000n);
  });

  it('refuses what would take a day over its limit, in the reserving transaction', async () => {
    const { accountId, sim } = await issued(1_000_000_000n, { dayLimitMsat: 30_000_000n });
    const one = await tapCard(svc, sim);
    const two = await tapCard(svc, sim);
    // Both taps were offered up to the whole day; paid at once, only one fits.
    const answers = await Promise.all([
      submitInvoice(svc, one.body, await svc.wallet.externalInvoice(20_000_000n)),
      submitInvoice(svc, two.body, await svc.wallet.externalInvoice(20_000_000n)),
    ]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['ERROR', 'OK']);
    expect(answers.find((a) => a.body.status === 'ERROR')!.body.reason).toMatch(/daily limit of 30000 sats/);
    await expect.poll(async () => (await outgoing(accountId)).map((p) => p.status)).toEqual(['succeeded']);
    const three = await tapCard(svc, sim);
    expect(three.body.maxWithdrawable).toBe(10_000_000);
    await setLimit(sql(), accountId, 'day', 20_000_000n);
    expect((await tapCard(svc, sim)).body).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(/daily limit/) });
  });

  it('a disabled card is refused at the tap, and at the callback of a tap made before', async () => {
    const { accountId, sim } = await issued();
    const before = await tapCard(svc, sim);
    await setEnabled(sql(), accountId, false);
    expect((await tapCard(svc, sim)).body).toMatchObject({ status: 'ERROR', reason: 'this card is disabled' });
    expect((await submitInvoice(svc, before.body, await svc.wallet.externalInvoice(1_000_000n))).body).toMatchObject({ status: 'ERROR', reason: 'this card is disabled' });
    await setEnabled(sql(), accountId, true);
    expect((await tapCard(svc, sim)).status).toBe(200);
    expect(await outgoing(accountId)).toEqual([]);
  });
});

describe('bad input', () => {
  it('a wrong CMAC is refused and does not advance the counter', async () => {
    const { card, sim } = await issued();
    const url = new URL(lnurlwToHttp(sim.tap()));
    const c = url.searchParams.get('c')!;
    url.searchParams.set('c', (c[0] === '0' ? '1' : '0') + c.slice(1));
    expect(await svc.get(url.toString())).toMatchObject({ status: 400, body: { status: 'ERROR', reason: 'card authentication failed' } });
    const [row] = await sql()<{ counter: number }[]>`select counter from cards where id = ${card.id}`;
    expect(row!.counter).toBe(0);
    // The genuine tap of that counter still works afterwards.
    url.searchParams.set('c', c);
    expect((await svc.get(url.toString())).status).toBe(200);
  });

  it('refuses another card\'s p and c, malformed p or c, and unknown cards', async () => {
    const { card, sim } = await issued();
    const other = await issued();
    const foreign = new URL(lnurlwToHttp(other.sim.tap()));
    const base = `https://flash.test/cards/tap/${card.id}`;
    expect((await svc.get(`${base}${foreign.search}`)).body.reason).toBe('card authentication failed');
    for (const q of ['', '?p=zz&c=00', '?p=' + '0'.repeat(32), '?p=' + '0'.repeat(30) + '&c=' + '0'.repeat(16), '?p=' + '0'.repeat(32) + '&c=' + '0'.repeat(17)]) {
      expect(await svc.get(base + q)).toMatchObject({ status: 400, body: { status: 'ERROR' } });
    }
    const good = new URL(lnurlwToHttp(sim.tap()));
    expect(await svc.get(`https://flash.test/cards/tap/00000000-0000-4000-8000-00000000ffff${good.search}`)).toMatchObject({ status: 404, body: { reason: 'unknown card' } });
    expect(await svc.get(`https://flash.test/cards/tap/not-a-card${good.search}`)).toMatchObject({ status: 404, body: { reason: 'unknown card' } });
  });

  it('refuses unknown, reused and expired k1, amountless, foreign-network and malformed invoices; nothing is reserved', async () => {
    const { accountId, sim } = await issued();
    const tapped = await tapCard(svc, sim);
    const refuse = async (body: Record<string, unknown>, pr: string, reason: RegExp) =>
      expect((await submitInvoice(svc, body, pr)).body).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(reason) });
    await refuse({ ...tapped.body, k1: 'ab'.repeat(32) }, await svc.wallet.externalInvoice(1_000_000n), /unknown k1/);
    await refuse({ ...tapped.body, k1: 'nothex' }, await svc.wallet.externalInvoice(1_000_000n), /k1 must be/);
    await refuse(tapped.body, await svc.wallet.externalInvoice(), /no amount/);
    await refuse(tapped.body, 'lnbc1notaninvoice', /./);
    await refuse(tapped.body, mainnetInvoice(), /for mainnet/);
    expect(await outgoing(accountId)).toEqual([]);
    expect((await submitInvoice(svc, tapped.body, await svc.wallet.externalInvoice(1_000_000n))).body.status).toBe('OK');
    await refuse(tapped.body, await svc.wallet.externalInvoice(2_000_000n), /k1 was used already/);
    const late = await tapCard(svc, sim);
    await sql()`update card_taps set expires_at = now() - interval '1 second' where k1 = ${String(late.body.k1)}`;
    await refuse(late.body, await svc.wallet.externalInvoice(1_000_000n), /expired/);
    await expect.poll(async () => (await outgoing(accountId)).map((p) => p.status)).toEqual(['succeeded']);
  });

  it('refuses a payment the balance cannot cover and leaves the ledger consistent', async () => {
    const { accountId, sim } = await issued(2_000_000n);
    const tapped = await tapCard(svc, sim);
    expect((await submitInvoice(svc, tapped.body, await svc.wallet.externalInvoice(5_000_000n))).body).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(/insufficient balance/) });
    await fund(sql(), accountId, 10_000_000n);
    // The refused reserve did not consume the k1.
    expect((await submitInvoice(svc, tapped.body, await svc.wallet.externalInvoice(5_000_000n))).body.status).toBe('OK');
    expect(await check(sql(), { ...ledgerRules, ...paymentRules })).toEqual([]);
    expect(await accounts.get(sql(), accountId)).toBeDefined();
  });
});

/** A valid, signed invoice of another network (mainnet). */
const mainnetInvoice = () => encodeBolt11({
  privateKey: randomBytes(32), network: 'mainnet', paymentHash: randomBytes(32).toString('hex'), paymentSecret: randomBytes(32).toString('hex'),
  amountMsat: 1_000_000n, createdAt: new Date(), expirySeconds: 600, cltvDelta: 40,
});
