// The production path end to end: the payment engine, the real workers role with
// LIGHTNING_BACKEND=lnd (processors, invoice watcher, reconciliation) and the LND adapter over
// gRPC and TLS, against the LND stand-in. Our node is the sim's alice; bob is the outside world.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeEvents } from '../../core/events.ts';
import { paymentEvents, type PaymentEvent } from '../../core/payments/events.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { cancelHoldInvoice, createHoldInvoice, createInvoice, lookupInvoice, settleHoldInvoice } from '../../core/lightning/invoices.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import type { RunningRole } from '../../core/role.ts';
import { createLndBackend, type LndBackend } from '../../workers/lightning/lnd.ts';
import { reconcile } from '../../workers/lightning/reconcile.ts';
import { workersRole } from '../../workers/role.ts';
import { startLndSim, type LndSim } from '../sims/lnd/sim.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { fund, newKey, newPubkey } from '../support/wallet.ts';

let sim: LndSim;
let ctx: TestContext;
let workers: RunningRole | undefined;
let bob: LndBackend;
const events: PaymentEvent[] = [];
let consumer: { stop(): Promise<void> };

const PAYMENT_TIMEOUT_SECONDS = 2;
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
/** The sim hub's default routing fee: 1 sat + 1000 ppm. */
const simFee = (amountMsat: bigint) => 1000n + (amountMsat * 1000n) / 1_000_000n;
const eventsOf = (accountId: string) => events.filter((e) => e.accountId === accountId);
const later = <T>(p: Promise<T>): Promise<T> => { p.catch(() => {}); return p; };
const journals = async (key: string) => (await ctx.sql`select 1 from journals where idempotency_key = ${key}`).length;
const attempts = async (id: string) => (await ctx.sql<{ attempts: number }[]>`select attempts from transactions where id = ${id}`)[0]!.attempts;
const pendingBalance = async () => balance(ctx.sql, systemAccounts.lightningPending);

async function user(amountMsat = 0n): Promise<string> {
  const a = await accounts.forPubkey(ctx.sql, newPubkey());
  if (amountMsat > 0n) {
    await fund(ctx.sql, a.id, amountMsat);
  }
  return a.id;
}

const bobPays = (paymentRequest: string, amountMsat?: bigint) => bob.payInvoice({ paymentRequest, amountMsat, maxFeeMsat: 100_000n, timeoutSeconds: 20 });
const bobInvoice = async (amountMsat: bigint) => (await bob.createInvoice({ amountMsat, description: 'from bob', expirySeconds: 600 })).paymentRequest;

beforeAll(async () => {
  sim = await startLndSim();
  const alice = sim.node('alice');
  ctx = await createTestContext({
    LIGHTNING_BACKEND: 'lnd', LND_SOCKET: alice.socket, LND_CERT: sim.certPath, LND_MACAROON: alice.macaroon,
    PAYMENT_TIMEOUT_SECONDS: String(PAYMENT_TIMEOUT_SECONDS), RECONCILE_INTERVAL_SECONDS: '1',
  });
  const b = sim.node('bob');
  bob = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: b.socket, LND_CERT: sim.certBase64, LND_MACAROON: b.macaroon });
  consumer = await consumeEvents({ events: paymentEvents,
    redis: ctx.redis, prefix: ctx.config.REDIS_PREFIX, group: 'test', consumer: 'c1', startAt: '0', log: ctx.log, blockMs: 200,
    handler: async (e) => { events.push(e); },
  });
  workers = await workersRole(ctx);
});

afterAll(async () => {
  await consumer?.stop();
  await workers?.stop();
  await bob?.close();
  await ctx?.close();
  await sim?.close();
});

describe('receiving through LND', () => {
  it('catches up on a settlement missed before the watcher ever saw one, exactly once', async () => {
    // No settle index is stored yet: lnd replays nothing for index 0.
    expect(await ctx.sql`select 1 from lightning_cursors`).toHaveLength(0);
    const a = await user();
    const inv = await createInvoice(ctx, { accountId: a, amountMsat: 7000n, idempotencyKey: newKey() });
    await workers!.stop();
    workers = undefined;
    expect(await bobPays(inv.paymentRequest!)).toMatchObject({ status: 'succeeded' });
    workers = await workersRole(ctx);
    await expect.poll(() => balance(ctx.sql, a)).toBe(7000n);
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.received']);
    expect(await journals(`receive:${inv.paymentHash}`)).toBe(1);
  });

  it('credits an invoice paid by the other node exactly once, with a payment.received event', async () => {
    const a = await user();
    const inv = await createInvoice(ctx, { accountId: a, amountMsat: 21_000n, description: 'coffee', idempotencyKey: newKey(), metadata: { order: 1 } });
    expect(inv.paymentRequest).toMatch(/^lnbcrt/);
    expect(await bobPays(inv.paymentRequest!)).toMatchObject({ status: 'succeeded', feeMsat: simFee(21_000n) });
    await expect.poll(() => balance(ctx.sql, a)).toBe(21_000n);
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.received']);
    expect(eventsOf(a)[0]).toMatchObject({ amountMsat: 21_000n, paymentHash: inv.paymentHash, description: 'coffee', metadata: { order: 1 } });
    expect((await lookupInvoice(ctx.sql, { paymentHash: inv.paymentHash! }))?.status).toBe('succeeded');
    expect(await journals(`receive:${inv.paymentHash}`)).toBe(1);
  });

  it('catches up on settlements missed while the watcher was down, exactly once', async () => {
    const a = await user();
    const invs = await Promise.all([3000n, 4000n].map((amountMsat) => createInvoice(ctx, { accountId: a, amountMsat, idempotencyKey: newKey() })));
    await workers!.stop();
    workers = undefined;
    for (const inv of invs) expect(await bobPays(inv.paymentRequest!)).toMatchObject({ status: 'succeeded' });
    expect(await balance(ctx.sql, a)).toBe(0n);
    workers = await workersRole(ctx);
    await expect.poll(() => balance(ctx.sql, a)).toBe(7000n);
    // Restarting again replays nothing twice.
    await workers.stop();
    workers = await workersRole(ctx);
    const late = await createInvoice(ctx, { accountId: a, amountMsat: 1000n, idempotencyKey: newKey() });
    await bobPays(late.paymentRequest!);
    await expect.poll(() => balance(ctx.sql, a)).toBe(8000n);
    await expect.poll(() => eventsOf(a).length).toBe(3);
    for (const inv of [...invs, late]) expect(await journals(`receive:${inv.paymentHash}`)).toBe(1);
  });

  it('holds a payment until settled, and returns it when canceled', async () => {
    const a = await user();
    const preimage = randomBytes(32).toString('hex');
    const hold = await createHoldInvoice(ctx, { accountId: a, amountMsat: 5000n, paymentHash: sha256(preimage), idempotencyKey: newKey() });
    expect(hold).toMatchObject({ isHold: true, status: 'open' });
    const paying = later(bobPays(hold.paymentRequest!));
    await expect.poll(async () => (await lookupInvoice(ctx.sql, { paymentHash: hold.paymentHash! }))?.status).toBe('accepted');
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['hold_invoice.accepted']);
    expect(await balance(ctx.sql, a)).toBe(0n);
    expect(await settleHoldInvoice(ctx, { accountId: a, preimage })).toMatchObject({ status: 'succeeded' });
    expect(await paying).toMatchObject({ status: 'succeeded', preimage });
    expect(await balance(ctx.sql, a)).toBe(5000n);
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['hold_invoice.accepted', 'payment.received']);

    const hold2 = await createHoldInvoice(ctx, { accountId: a, amountMsat: 5000n, paymentHash: sha256(randomBytes(32).toString('hex')), idempotencyKey: newKey() });
    const paying2 = later(bobPays(hold2.paymentRequest!));
    await expect.poll(async () => (await lookupInvoice(ctx.sql, { paymentHash: hold2.paymentHash! }))?.status).toBe('accepted');
    expect(await cancelHoldInvoice(ctx, { accountId: a, paymentHash: hold2.paymentHash! })).toMatchObject({ status: 'canceled' });
    expect(await paying2).toMatchObject({ status: 'failed' });
    expect(await balance(ctx.sql, a)).toBe(5000n);
    expect(await journals(`receive:${hold.paymentHash}`)).toBe(1);
    expect(await journals(`receive:${hold2.paymentHash}`)).toBe(0);
  });
});

describe('paying through LND', () => {
  it('pays an invoice of the other node: the real fee is charged, the rest of the reserve released', async () => {
    const a = await user(100_000n);
    const pendingBefore = await pendingBalance();
    const r = await payInvoice(ctx, { accountId: a, paymentRequest: await bobInvoice(40_000n), idempotencyKey: newKey(), waitMs: 10_000 });
    expect(r).toMatchObject({ status: 'succeeded', amountMsat: 40_000n, feeMsat: simFee(40_000n) });
    expect(await balance(ctx.sql, a)).toBe(100_000n - 40_000n - simFee(40_000n));
    expect(await pendingBalance()).toBe(pendingBefore);
    expect((await bob.lookupInvoice(r.paymentHash))?.state).toBe('settled');
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.sent']);
  });

  it('sends a payment the node never saw once the workers are back, once, though the queued job and reconciliation both send it', async () => {
    const a = await user(100_000n);
    await workers!.stop();
    workers = undefined;
    const r = await payInvoice(ctx, { accountId: a, paymentRequest: await bobInvoice(20_000n), idempotencyKey: newKey() });
    expect(r.status).toBe('pending');
    expect(() => sim.node('alice').state.lookupPayment(Buffer.from(r.paymentHash, 'hex'))).toThrow();
    const before = (await bob.getBalances()).channelLocalMsat;
    workers = await workersRole(ctx);
    await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status).toBe('succeeded');
    expect(await getTransaction(ctx.sql, r.transactionId)).toMatchObject({ feeMsat: simFee(20_000n) });
    expect(await balance(ctx.sql, a)).toBe(80_000n - simFee(20_000n));
    expect((await bob.getBalances()).channelLocalMsat).toBe(before + 20_000n);
    expect(await journals(`pay:${r.transactionId}:finish`)).toBe(1);
  });

  for (const outcome of ['succeed', 'fail'] as const) {
    it(`keeps a payment the node holds in flight pending past every timeout, and reconciles it once it ${outcome}s`, async () => {
      const alice = sim.node('alice').state;
      const a = await user(100_000n);
      alice.hangNextPayment();
      const r = await payInvoice(ctx, { accountId: a, paymentRequest: await bobInvoice(10_000n), idempotencyKey: newKey(), waitMs: 500 });
      expect(r.status).toBe('pending');
      expect(alice.hungPayments()).toEqual([r.paymentHash]);
      // The first attempt gives up after PAYMENT_TIMEOUT_SECONDS and reconciliation looks again
      // (every second): the payment is still in flight, so it stays pending with its reserve.
      await expect.poll(() => attempts(r.transactionId), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      expect((await getTransaction(ctx.sql, r.transactionId))!.status).toBe('pending');
      expect(await balance(ctx.sql, a)).toBeLessThan(90_000n);
      expect(await journals(`pay:${r.transactionId}:finish`)).toBe(0);

      alice.releasePayment(r.paymentHash, outcome);
      const expected = outcome === 'succeed'
        ? { status: 'succeeded', feeMsat: simFee(10_000n), balance: 90_000n - simFee(10_000n) }
        : { status: 'failed', failureReason: 'no_route', balance: 100_000n };
      const { balance: expectedBalance, ...row } = expected;
      await expect.poll(async () => (await getTransaction(ctx.sql, r.transactionId))!.status, { timeout: 10_000 }).toBe(row.status);
      expect(await getTransaction(ctx.sql, r.transactionId)).toMatchObject(row);
      expect(await balance(ctx.sql, a)).toBe(expectedBalance);
      expect(await journals(`pay:${r.transactionId}:finish`)).toBe(1);
    });
  }
});

describe('a second payment of a failed hash', () => {
  it('is not voided by the start-up reconciliation while its send is on its way to lnd (lnd still shows the first payment\'s failure)', async () => {
    const alice = sim.node('alice').state;
    const a = await user(100_000n);
    const paymentRequest = await bobInvoice(10_000n);
    alice.failNextPayment('FAILURE_REASON_NO_ROUTE');
    expect(await payInvoice(ctx, { accountId: a, paymentRequest, idempotencyKey: newKey(), waitMs: 5000 })).toMatchObject({ status: 'failed' });
    expect(await balance(ctx.sql, a)).toBe(100_000n);

    const held = alice.holdNextSend();
    const second = await payInvoice(ctx, { accountId: a, paymentRequest, idempotencyKey: newKey() });
    expect(second.status).toBe('pending');
    await held.reached;
    // As a workers process starting now would: every pending payment looked up, however young.
    const lnd = createLndBackend(ctx.config);
    try {
      await reconcile(ctx, lnd, 0);
    } finally {
      await lnd.close();
    }
    expect((await getTransaction(ctx.sql, second.transactionId))!.status).toBe('pending');
    held.release();

    await expect.poll(async () => (await getTransaction(ctx.sql, second.transactionId))!.status, { timeout: 10_000 }).toBe('succeeded');
    expect(await getTransaction(ctx.sql, second.transactionId)).toMatchObject({ feeMsat: simFee(10_000n) });
    expect(await balance(ctx.sql, a)).toBe(90_000n - simFee(10_000n));
    await expect(bob.lookupInvoice(second.paymentHash)).resolves.toMatchObject({ state: 'settled', receivedMsat: 10_000n });
    expect(await journals(`pay:${second.transactionId}:finish`)).toBe(1);
  });
});

describe('ledger check', () => {
  it('is clean after all of the above', async () => {
    await expect.poll(async () => (await ctx.sql`select 1 from transactions where status = 'pending'`).length).toBe(0);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
