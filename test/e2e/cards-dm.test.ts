// Flash Cards through their holder's DMs and the CLI: `card new` → the programming link →
// the programmer's JSON → taps at a point of sale paying a `flash dev invoice` → the
// holder's DM with what is left today; `card off`, `card limit`, `card wipe` by DM; and
// `flash card create` for the operator.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { SimulatedCard, type CardKeys, type ProgrammingJson } from '../sims/boltcard/card.ts';
import { testMasterKey } from '../support/context.ts';
import { startCardService, submitInvoice, tapCard, type CardService } from '../support/cards.ts';
import type { DmUser } from '../support/dm.ts';
import { root } from '../support/process.ts';
import { fund } from '../support/wallet.ts';

let svc: CardService;
beforeAll(async () => { svc = await startCardService(); }, 60_000);
afterAll(async () => { await svc?.close(); });

async function flash(...args: string[]): Promise<string> {
  const c = svc.wallet.ctx.config;
  const env = { ...process.env, DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX, MASTER_KEY: testMasterKey, PUBLIC_URL: c.PUBLIC_URL! };
  return (await promisify(execFile)(process.execPath, [path.join(root, 'bin/flash.ts'), ...args], { cwd: root, env })).stdout.trim();
}

/** A holder who got a card by DM and programmed it; the account holds `sats`. */
async function holderWithCard(sats: bigint): Promise<{ u: DmUser; accountId: string; sim: SimulatedCard }> {
  const u = await svc.user();
  const reply = await u.ask('card new Coffee', 'nip17');
  const link = /(https:\/\/flash\.test\/cards\/program\/\S+)/.exec(reply)![1]!;
  const json = await svc.get(link);
  const accountId = (await accounts.forPubkey(svc.wallet.ctx.sql, u.pk)).id;
  await fund(svc.wallet.ctx.sql, accountId, sats * 1000n);
  return { u, accountId, sim: SimulatedCard.program(json.body as unknown as ProgrammingJson) };
}

it('card new by DM → program → tap → pays a `flash dev invoice` → balance and a DM to the holder', { timeout: 90_000 }, async () => {
  const { u, accountId, sim } = await holderWithCard(100_000n);
  const tapped = await tapCard(svc, sim);
  expect(tapped.body.tag).toBe('withdrawRequest');
  const pr = await flash('dev', 'invoice', '21000000', '-d', 'Corner café');
  expect(await submitInvoice(svc, tapped.body, pr)).toEqual({ status: 200, body: { status: 'OK' } });
  const notice = await u.waitFor(/💳/);
  expect(notice.text).toBe('💳 Card "Coffee" paid 21,000 sats to "Corner café". Left today: 179,000 sats.');
  expect(await balance(svc.wallet.ctx.sql, accountId)).toBe(100_000_000n - 21_000_000n - fakeRoutingFeeMsat(21_000_000n));
  expect(await u.ask('card', 'nip17')).toBe('Your cards (newest first; commands act on the first):\n• Coffee: on, 50,000 sats per payment, 21,000 sats of 200,000 sats spent today');
});

it('a payment the network refuses: the POS gets an error, the holder a DM, the balance is whole', async () => {
  const { u, accountId, sim } = await holderWithCard(10_000n);
  const tapped = await tapCard(svc, sim);
  // A well-formed regtest invoice of a node nobody can route to.
  const unroutable = encodeBolt11({
    privateKey: randomBytes(32), network: 'regtest', paymentHash: randomBytes(32).toString('hex'), paymentSecret: randomBytes(32).toString('hex'),
    amountMsat: 2_000_000n, description: 'nowhere', createdAt: new Date(), expirySeconds: 600, cltvDelta: 40,
  });
  expect((await submitInvoice(svc, tapped.body, unroutable)).body).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(/^the payment failed/) });
  expect((await u.waitFor(/💳/)).text).toBe('💳 A payment of 2,000 sats with card "Coffee" failed. Nothing was taken from your balance.');
  expect(await balance(svc.wallet.ctx.sql, accountId)).toBe(10_000_000n);
});

it('card off by DM → taps refused; card on → they pay again; card limit tap and day by DM', async () => {
  const { u, sim } = await holderWithCard(100_000n);
  expect(await u.ask('card off', 'nip04')).toBe('Card "Coffee" is off: taps are refused until you send "card on".');
  expect((await tapCard(svc, sim)).body).toEqual({ status: 'ERROR', reason: 'this card is disabled' });
  expect(await u.ask('card on', 'nip04')).toBe('Card "Coffee" is on: it pays again.');
  expect(await u.ask('card limit tap 20k', 'nip04')).toBe('Card "Coffee" now pays at most 20,000 sats per payment.');
  expect((await tapCard(svc, sim)).body.maxWithdrawable).toBe(20_000_000);
  expect(await u.ask('card limit day 5k', 'nip04')).toBe('Card "Coffee" now pays at most 5,000 sats per day (UTC).');
  const tapped = await tapCard(svc, sim);
  expect(tapped.body.maxWithdrawable).toBe(5_000_000);
  expect((await submitInvoice(svc, tapped.body, await svc.wallet.externalInvoice(6_000_000n))).body).toMatchObject({ status: 'ERROR', reason: expect.stringMatching(/daily limit of 5000 sats/) });
  expect(await u.ask('card limit week 5k', 'nip04')).toMatch(/^Card commands:/);
});

it('card wipe by DM retires the card and gives reset data that blanks the card', async () => {
  const { u, sim } = await holderWithCard(1000n);
  const before = sim.tap();
  const reply = await u.ask('card wipe', 'nip17');
  const data = JSON.parse(/(\{.*\})/s.exec(reply)![1]!) as CardKeys & { action: string };
  expect(data.action).toBe('wipe');
  expect(() => sim.wipe(data)).not.toThrow();
  const old = new URL(before.replace(/^lnurlw:/, 'https:'));
  expect(await svc.get(old.toString())).toMatchObject({ status: 404, body: { status: 'ERROR', reason: 'unknown card' } });
  expect(await u.ask('card', 'nip17')).toBe('You have no card. Get one with: card new');
});

it('flash card create and list, for the operator', { timeout: 90_000 }, async () => {
  const u = await svc.user();
  const npub = nip19.npubEncode(u.pk);
  const created = JSON.parse(await flash('card', 'create', '--user', npub, '--name', 'Shop card', '--tap-limit-sats', '1000', '--json')) as { id: string; programUrl: string };
  const json = await svc.get(created.programUrl);
  expect(json.body).toMatchObject({ protocol_name: 'create_bolt_card_response', card_name: 'Shop card', lnurlw_base: `lnurlw://flash.test/cards/tap/${created.id}` });
  const tapped = await tapCard(svc, SimulatedCard.program(json.body as unknown as ProgrammingJson));
  expect(tapped.body.maxWithdrawable).toBe(1_000_000);
  expect(await flash('card', 'list', '--user', npub)).toMatch(new RegExp(`^${created.id}  on   Shop card  \\(1000 sats per tap, 200000 per day, 0 spent today\\)$`));
  expect(await flash('card', 'off', created.id)).toMatch(/ off {2}Shop card/);
});
