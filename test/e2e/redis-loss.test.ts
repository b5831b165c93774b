// Redis holds no money: queues, live fan-out and leases only. Lose it (FLUSHALL, then kill -9
// and an empty redis-server in its place) in the middle of sustained DM and wallet-connect
// payments, and every payment still ends exactly once, from what PostgreSQL holds.
import type { Nip47Notification } from '@getalby/sdk/nwc';
import { Redis } from 'ioredis';
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { decodeBolt11 } from '../../core/lightning/bolt11.ts';
import type { Sql } from '../../core/db.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { startDmService, type DmService } from '../support/dm.ts';
import { startNwcHarness, type NwcHarness } from '../support/nwc.ts';
import { newKey, sign, startTestRelay } from '../support/relay.ts';
import { RedisServer } from '../support/redis-server.ts';
import { uniqueName } from '../support/db.ts';
import { fund } from '../support/wallet.ts';

const ROUNDS = 6;
const AMOUNT = 10_000n;
const FEE = fakeRoutingFeeMsat(AMOUNT);

let redis: RedisServer;
let dm: DmService;
let nwc: NwcHarness;
beforeAll(async () => {
  redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url, RECONCILE_INTERVAL_SECONDS: '1', DM_PAY_WAIT_MS: '2000', DM_RATE_BURST: '100', NWC_PAY_WAIT_SECONDS: '2' };
  dm = await startDmService(env);
  nwc = await startNwcHarness({ env });
});
afterAll(async () => {
  await nwc?.close();
  // Stopping the bots role after its Redis was replaced once hung on a lease check that was
  // never answered; lease calls now give up after one lease length.
  await dm?.close();
  await redis?.stop();
});

/** Every outgoing payment of these invoices: one each, settled, and the node paid each once. */
async function expectPaidOnce(sql: Sql, invoices: string[]): Promise<void> {
  const hashes = invoices.map((i) => decodeBolt11(i).paymentHash);
  await expect.poll(async () => (await sql<{ status: string }[]>`
    select status from transactions where direction = 'outgoing' and payment_hash = any(${hashes})`).map((r) => r.status).sort(),
  { timeout: 30_000 }).toEqual(hashes.map(() => 'succeeded'));
  const sent = await sql<{ n: number }[]>`select count(*)::int as n from fake_ln_payments where payment_hash = any(${hashes}) group by payment_hash`;
  expect(sent.map((r) => r.n)).toEqual(hashes.map(() => 1));
  expect(await check(sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
}

it('loses Redis mid-payments: every DM and wallet-connect payment ends once, none runs twice, the ledger checks clean', { timeout: 120_000 }, async () => {
  const users = await Promise.all(Array.from({ length: 3 }, () => dm.user()));
  for (const u of users) await fund(dm.wallet.ctx.sql, (await accounts.forPubkey(dm.wallet.ctx.sql, u.pk)).id, 1_000_000n);
  const apps = await Promise.all(Array.from({ length: 2 }, () => nwc.connect()));
  for (const a of apps) await nwc.fund(a.accountId, 1_000_000n);
  const got: Nip47Notification[] = [];
  await apps[0]!.client.subscribeNotifications((n) => got.push(n));

  let started = 0;
  let lose!: () => void;
  const halfway = new Promise<void>((r) => { lose = r; });
  const begun = () => { if (++started === (users.length + apps.length) * 2) lose(); };
  const dmInvoices = users.map(() => [] as string[]);
  const nwcInvoices = apps.map(() => [] as string[]);

  const dmLoops = users.map(async (u, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      const invoice = await dm.wallet.externalInvoice(AMOUNT);
      dmInvoices[i]!.push(invoice);
      begun();
      const id = await u.send(`pay ${invoice}`, 'nip04');
      expect((await u.replyTo(id, 30_000)).text).toMatch(/^(✅ Paid|⏳ The payment is in flight)/);
    }
  });
  const nwcLoops = apps.map(async (a, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      const invoice = await nwc.wallet.externalInvoice(AMOUNT);
      nwcInvoices[i]!.push(invoice);
      begun();
      const paid = await a.client.payInvoice({ invoice });
      expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  await halfway;
  // Everything Redis held goes: jobs, the event stream and its consumer groups, the leases.
  const admin = new Redis(redis.url);
  await admin.flushall();
  admin.disconnect();
  await redis.kill();
  await new Promise((r) => setTimeout(r, 500));
  await redis.restart();

  await Promise.all([...dmLoops, ...nwcLoops]);

  await expectPaidOnce(dm.wallet.ctx.sql, dmInvoices.flat());
  await expectPaidOnce(nwc.wallet.ctx.sql, nwcInvoices.flat());
  for (const u of users) {
    // One outcome DM per payment (the direct answer or the later notice), never two.
    await expect.poll(() => u.inbox.filter((m) => m.text.startsWith('✅ Paid')).length, { timeout: 30_000 }).toBe(ROUNDS);
    expect(await balance(dm.wallet.ctx.sql, (await accounts.forPubkey(dm.wallet.ctx.sql, u.pk)).id)).toBe(1_000_000n - BigInt(ROUNDS) * (AMOUNT + FEE));
  }
  for (const a of apps) expect(await balance(nwc.wallet.ctx.sql, a.accountId)).toBe(1_000_000n - BigInt(ROUNDS) * (AMOUNT + FEE));

  // The event consumers found their stream gone and read the new one: a notice still comes.
  const bolt11 = /(lnbcrt\S+)/.exec(await users[0]!.ask('invoice 1000', 'nip04'))![1]!;
  await dm.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  expect((await users[0]!.waitFor(/Received/)).text).toBe('⚡ Received 1,000 sats.');
  const inv = await apps[0]!.client.makeInvoice({ amount: 21_000 });
  await nwc.wallet.external.payInvoice({ paymentRequest: inv.invoice, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await expect.poll(() => got.filter((n) => n.notification_type === 'payment_received').map((n) => n.notification.payment_hash), { timeout: 10_000 })
    .toEqual([inv.payment_hash]);
});

it('relays deliver each other\'s events live again once Redis is back, to the subscriptions already open', { timeout: 60_000 }, async () => {
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: uniqueName('t') };
  const [a, b] = [await startTestRelay(env), await startTestRelay(env)];
  const [pubA, subB] = [await Relay.connect(a.url), await Relay.connect(b.url)];
  try {
    const k = newKey();
    const got: string[] = [];
    await new Promise<void>((resolve) => subB.subscribe([{ authors: [k.pk] }], { onevent: (e) => got.push(e.content), oneose: resolve }));
    await pubA.publish(sign(k, { kind: 1, content: 'before' }));
    await expect.poll(() => got).toEqual(['before']);

    await redis.kill();
    await pubA.publish(sign(k, { kind: 1, content: 'while down' })); // stored; not fanned out
    await redis.restart();
    // Each try is a new event; live delivery resumes once both relays are reconnected.
    let n = 0;
    await expect.poll(async () => {
      await pubA.publish(sign(k, { kind: 1, content: `after ${n++}` }));
      return got.some((c) => c.startsWith('after'));
    }, { timeout: 20_000, interval: 200 }).toBe(true);
  } finally {
    pubA.close(); subB.close();
    await a.close(); await b.close();
  }
});
