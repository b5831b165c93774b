// Faults in the payment path, on the production path (the workers role with the LND adapter
// against the LND stand-in): the invoice stream dropping while the workers run, Redis
// unreachable when a payment is queued, a crash before the job is queued, and a payment that
// fails at the node while the workers are down (a real SIGKILL). Our node is alice; bob pays
// and is paid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../core/jobs.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { lightningRail } from '../../core/lightning/rail.ts';
import { decodeBolt11 } from '../../core/lightning/bolt11.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { reserve } from '../../core/payments/outgoing.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { JobBus } from '../../core/queue.ts';
import type { RunningRole } from '../../core/role.ts';
import { createLndBackend, type LndBackend } from '../../workers/lightning/lnd.ts';
import { reconcile } from '../../workers/lightning/reconcile.ts';
import { workersRole } from '../../workers/role.ts';
import { startLndSim, type LndSim } from '../sims/lnd/sim.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { freePort, runFlash } from '../support/process.ts';
import { fund, newKey, newPubkey } from '../support/wallet.ts';

let sim: LndSim;
let ctx: TestContext;
let workers: RunningRole | undefined;
let bob: LndBackend;

/** The sim hub's default routing fee: 1 sat + 1000 ppm. */
const simFee = (amountMsat: bigint) => 1000n + (amountMsat * 1000n) / 1_000_000n;
const journals = async (key: string) => (await ctx.sql`select 1 from journals where idempotency_key = ${key}`).length;
const outbox = async (type: string, transactionId: string) =>
  (await ctx.sql`select 1 from event_outbox where type = ${type} and payload->>'transactionId' = ${transactionId}`).length;
const status = async (id: string) => (await getTransaction(ctx.sql, id))!.status;
const bobInvoice = async (amountMsat: bigint) => (await bob.createInvoice({ amountMsat, description: 'from bob', expirySeconds: 600 })).paymentRequest;
const bobLocal = async () => (await bob.getBalances()).channelLocalMsat;

async function user(amountMsat = 0n): Promise<string> {
  const a = await accounts.forPubkey(ctx.sql, newPubkey());
  if (amountMsat > 0n) await fund(ctx.sql, a.id, amountMsat);
  return a.id;
}

async function stopWorkers(): Promise<void> {
  await workers?.stop();
  workers = undefined;
}

beforeAll(async () => {
  sim = await startLndSim();
  const alice = sim.node('alice');
  ctx = await createTestContext({
    LIGHTNING_BACKEND: 'lnd', LND_SOCKET: alice.socket, LND_CERT: sim.certPath, LND_MACAROON: alice.macaroon,
    PAYMENT_TIMEOUT_SECONDS: '2', RECONCILE_INTERVAL_SECONDS: '1',
  });
  const b = sim.node('bob');
  bob = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: b.socket, LND_CERT: sim.certBase64, LND_MACAROON: b.macaroon });
  workers = await workersRole(ctx);
});

afterAll(async () => {
  await workers?.stop();
  await bob?.close();
  await ctx?.close();
  await sim?.close();
});

describe('the invoice stream drops while the workers run', () => {
  it('credits invoices settled while it was down once, after the watcher resubscribes', async () => {
    const alice = sim.node('alice').state;
    const a = await user();
    // One settlement seen live stores the watcher's settle index (its cursor).
    const first = await createInvoice(ctx, { accountId: a, amountMsat: 1000n, idempotencyKey: newKey() });
    expect(await bob.payInvoice({ paymentRequest: first.paymentRequest!, maxFeeMsat: 100_000n, timeoutSeconds: 20 })).toMatchObject({ status: 'succeeded' });
    await expect.poll(() => balance(ctx.sql, a)).toBe(1000n);
    const cursor = async () => (await ctx.sql<{ value: bigint }[]>`select value from lightning_cursors where name = 'invoices'`)[0]?.value;
    await expect.poll(cursor).toBeDefined();
    const firstIndex = (await cursor())!;

    alice.dropInvoiceStreams();
    expect(alice.invoiceStreamEnds.size).toBe(0);
    const missed = await Promise.all([2000n, 3000n, 4000n].map((amountMsat) => createInvoice(ctx, { accountId: a, amountMsat, idempotencyKey: newKey() })));
    for (const inv of missed) {
      expect(await bob.payInvoice({ paymentRequest: inv.paymentRequest!, maxFeeMsat: 100_000n, timeoutSeconds: 20 })).toMatchObject({ status: 'succeeded' });
    }
    // Settled at the node, unseen by us while the stream is down (the watcher retries meanwhile).
    expect(await balance(ctx.sql, a)).toBe(1000n);

    alice.resumeInvoiceStreams();
    await expect.poll(() => alice.invoiceStreamEnds.size, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => balance(ctx.sql, a)).toBe(10_000n);
    // A crash between a credit and its cursor write leaves the cursor behind: the next
    // subscription replays settlements credited already, and none is credited twice.
    await ctx.sql`update lightning_cursors set value = ${firstIndex} where name = 'invoices'`;
    alice.dropInvoiceStreams();
    alice.resumeInvoiceStreams();
    const late = await createInvoice(ctx, { accountId: a, amountMsat: 5000n, idempotencyKey: newKey() });
    await expect.poll(() => alice.invoiceStreamEnds.size, { timeout: 10_000 }).toBe(1);
    await bob.payInvoice({ paymentRequest: late.paymentRequest!, maxFeeMsat: 100_000n, timeoutSeconds: 20 });
    await expect.poll(() => balance(ctx.sql, a)).toBe(15_000n);
    for (const inv of [first, ...missed, late]) expect(await journals(`receive:${inv.paymentHash}`)).toBe(1);
    expect((await ctx.sql`select 1 from event_outbox where type = 'payment.received' and payload->>'accountId' = ${a}`).length).toBe(5);
  });
});

describe('Redis unreachable when a payment is queued', () => {
  for (const waitMs of [0, 500]) {
    it(`answers pending (waitMs ${waitMs}), keeps the reserve, and reconciliation pays it once`, async () => {
      const deadBus = new JobBus(jobs, { redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: ctx.config.REDIS_PREFIX, log: ctx.log, addTimeoutMs: 300 });
      const a = await user(100_000n);
      const before = await bobLocal();
      const r = await payInvoice({ ...ctx, bus: deadBus }, { accountId: a, paymentRequest: await bobInvoice(20_000n), idempotencyKey: newKey(), waitMs });
      expect(r.status).toBe('pending');
      // No job was queued; the workers' reconciliation (every second) finds the payment.
      expect(await ctx.bus.getJob('lightning.pay', r.transactionId)).toBeUndefined();
      await expect.poll(() => status(r.transactionId), { timeout: 10_000 }).toBe('succeeded');
      expect(await balance(ctx.sql, a)).toBe(80_000n - simFee(20_000n));
      expect(await bobLocal()).toBe(before + 20_000n);
      expect(await journals(`pay:${r.transactionId}:finish`)).toBe(1);
      expect(await outbox('payment.failed', r.transactionId)).toBe(0);
      // Not awaited: closing waits for a connection that never comes.
      void deadBus.close().catch(() => {});
    });
  }
});

describe('a crash before the job is queued', () => {
  it('leaves a reserve that reconciliation at the next start pays once', async () => {
    await stopWorkers();
    const a = await user(100_000n);
    const paymentRequest = await bobInvoice(30_000n);
    const invoice = decodeBolt11(paymentRequest);
    // What payInvoice commits before it queues the job; the process dies right after.
    const t = await reserve(ctx, lightningRail, {
      account_id: a, kind: 'lightning', idempotency_key: newKey(), amount_msat: 30_000n,
      fee_reserve_msat: lightningRail.feeReserve(ctx.config, 30_000n), payment_hash: invoice.paymentHash,
      payment_request: paymentRequest, destination: invoice.destination, expires_at: invoice.expiresAt,
    });
    expect(t.status).toBe('pending');
    const before = await bobLocal();
    workers = await workersRole(ctx);
    await expect.poll(() => status(t.id), { timeout: 10_000 }).toBe('succeeded');
    // A second reconciliation finds nothing to do.
    const lnd = createLndBackend(ctx.config);
    try {
      expect((await reconcile(ctx, lnd, 0)).checked).toBe(0);
    } finally {
      await lnd.close();
    }
    expect(await balance(ctx.sql, a)).toBe(70_000n - simFee(30_000n));
    expect(await bobLocal()).toBe(before + 30_000n);
    expect(await journals(`pay:${t.id}:finish`)).toBe(1);
    expect(await outbox('payment.sent', t.id)).toBe(1);
  });
});

describe('a payment that fails at the node while the workers are down', () => {
  it('is voided once after the restart, not before the dead attempt\'s lease runs out', { timeout: 60_000 }, async () => {
    const alice = sim.node('alice').state;
    await stopWorkers();
    const node = sim.node('alice');
    const child = await runFlash(['start', 'workers'], {
      DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey,
      // The stopped workers' data directory: the embedded on-chain node and its wallet live there.
      API_PORT: '0', RELAY_PORT: '0', DATA_DIR: ctx.config.DATA_DIR,
      LIGHTNING_BACKEND: 'lnd', LND_SOCKET: node.socket, LND_CERT: sim.certPath, LND_MACAROON: node.macaroon,
      PAYMENT_TIMEOUT_SECONDS: '60', RECONCILE_INTERVAL_SECONDS: '1',
    });
    const a = await user(100_000n);
    alice.hangNextPayment();
    const r = await payInvoice(ctx, { accountId: a, paymentRequest: await bobInvoice(10_000n), idempotencyKey: newKey() });
    expect(r.status).toBe('pending');
    // The child's attempt has sent the payment; the node holds it in flight. Then the child dies.
    await expect.poll(() => alice.hungPayments(), { timeout: 20_000 }).toEqual([r.paymentHash]);
    child.child.kill('SIGKILL');
    await child.exited;
    alice.releasePayment(r.paymentHash, 'fail');
    const reserved = await balance(ctx.sql, a);
    expect(reserved).toBeLessThan(90_000n);

    // The dead attempt's lease still runs: a lookup now must not act on the node's failure.
    const lnd = createLndBackend(ctx.config);
    try {
      expect((await reconcile(ctx, lnd, 0)).finished).toBe(0);
    } finally {
      await lnd.close();
    }
    expect(await status(r.transactionId)).toBe('pending');
    expect(await balance(ctx.sql, a)).toBe(reserved);

    // Time passes: the lease runs out, and the workers start again.
    const leased = await ctx.sql`update transactions set lease_until = now() where id = ${r.transactionId} and lease_until > now()`;
    expect(leased.count).toBe(1);
    workers = await workersRole(ctx);
    await expect.poll(() => status(r.transactionId), { timeout: 10_000 }).toBe('failed');
    expect(await getTransaction(ctx.sql, r.transactionId)).toMatchObject({ failureReason: 'no_route' });
    expect(await balance(ctx.sql, a)).toBe(100_000n);
    expect(await journals(`pay:${r.transactionId}:finish`)).toBe(1);
    expect(await outbox('payment.failed', r.transactionId)).toBe(1);
    // The node holds one payment of the hash, failed: nothing was sent again.
    expect(sim.node('alice').state.payments.get(r.paymentHash)?.status).toBe('FAILED');
  });
});

describe('ledger check', () => {
  it('is clean after all of the above', async () => {
    await expect.poll(async () => (await ctx.sql`select 1 from transactions where status = 'pending'`).length).toBe(0);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
