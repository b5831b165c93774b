// A hash that failed may be paid again, and the node takes a new send of a failed hash. These
// tests hold the second payment's send on its way to the node (the fake node's beforeSend
// fault) and look the payment up meanwhile, as reconciliation does: the node still shows the
// first payment's failure, which must not void the second one while its send may land.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { payInvoice, type LightningPaymentResult } from '../../core/lightning/pay.ts';
import { startAttempt } from '../../core/payments/outgoing.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { attemptPayment } from '../../workers/lightning/attempt.ts';
import { EXTERNAL_FAKE_NODE, OUR_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode, fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { fund, newKey, newPubkey } from '../support/wallet.ts';

// No workers run here: the test drives each attempt itself (the queued `lightning.pay` jobs wait).
let ctx: TestContext;
let node: FakeLightningNode;
let external: FakeLightningNode;
beforeAll(async () => {
  ctx = await createTestContext();
  node = await FakeLightningNode.open(ctx, OUR_FAKE_NODE);
  external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
});
afterAll(async () => {
  await node?.close();
  await external?.close();
  await ctx?.close();
});
beforeEach(() => { node.faults = {}; });

const AMOUNT = 10_000n;
const FUNDS = 100_000n;
const later = <T>(p: Promise<T>): Promise<T> => { p.catch(() => {}); return p; };
const attemptsOf = async (id: string) => (await ctx.sql<{ attempts: number }[]>`select attempts from transactions where id = ${id}`)[0]!.attempts;

/** An account whose payment of invoice X failed once, and its second payment of X, reserved (its job queued, not run). */
async function failedOnce(): Promise<{ account: string; second: LightningPaymentResult; paymentRequest: string }> {
  const account = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  await fund(ctx.sql, account, FUNDS);
  const paymentRequest = (await external.createInvoice({ amountMsat: AMOUNT, expirySeconds: 600 })).paymentRequest;
  const first = await payInvoice(ctx, { accountId: account, paymentRequest, idempotencyKey: newKey() });
  node.faults.failPayments = 'no_route';
  expect(await attemptPayment(ctx, node, first.transactionId, 'pay')).toMatchObject({ status: 'failed', failureReason: 'no_route' });
  node.faults.failPayments = undefined;
  expect(await balance(ctx.sql, account)).toBe(FUNDS);
  const second = await payInvoice(ctx, { accountId: account, paymentRequest, idempotencyKey: newKey() });
  expect(second.status).toBe('pending');
  return { account, second, paymentRequest };
}

/** Holds the node's next send on its way until released; later sends pass. */
function holdNextSend(): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => { reached = r; });
  const released = new Promise<void>((r) => { release = r; });
  node.faults.beforeSend = async () => {
    node.faults.beforeSend = undefined;
    reached();
    await released;
  };
  return { reached: reachedP, release };
}

/** Paid exactly once: charged amount + fee, the invoice settled, one finish journal, the ledger sound. */
async function paidOnce(account: string, transactionId: string, paymentHash: string): Promise<void> {
  expect(await getTransaction(ctx.sql, transactionId)).toMatchObject({ status: 'succeeded', feeMsat: fakeRoutingFeeMsat(AMOUNT) });
  expect(await balance(ctx.sql, account)).toBe(FUNDS - AMOUNT - fakeRoutingFeeMsat(AMOUNT));
  expect((await external.lookupInvoice(paymentHash))?.state).toBe('settled');
  expect(await ctx.sql`select 1 from journals where idempotency_key = ${`pay:${transactionId}:finish`}`).toHaveLength(1);
  expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
}

it('a lookup while the pay attempt of a second payment of a failed hash is sending leaves it to that attempt', async () => {
  const { account, second } = await failedOnce();
  const held = holdNextSend();
  const paying = later(attemptPayment(ctx, node, second.transactionId, 'pay'));
  await held.reached;
  const attempts = await attemptsOf(second.transactionId);
  // Reconciliation's lookup finds the payment leased and leaves it as it is; a second pay job waits.
  expect(await attemptPayment(ctx, node, second.transactionId, 'lookup')).toMatchObject({ status: 'pending' });
  const payingAgain = later(attemptPayment(ctx, node, second.transactionId, 'pay'));
  expect(await attemptsOf(second.transactionId)).toBe(attempts);
  expect(await balance(ctx.sql, account)).toBeLessThan(FUNDS - AMOUNT);
  held.release();
  expect(await paying).toMatchObject({ status: 'succeeded' });
  expect(await payingAgain).toMatchObject({ status: 'succeeded' });
  expect(await attemptsOf(second.transactionId)).toBe(attempts);
  await paidOnce(account, second.transactionId, second.paymentHash);
});

it('a lookup after the sending attempt lost its lease (its worker died) takes the old failure for not this payment’s, and sends', async () => {
  const { account, second } = await failedOnce();
  const held = holdNextSend();
  const paying = later(attemptPayment(ctx, node, second.transactionId, 'pay'));
  await held.reached;
  await ctx.sql`update transactions set lease_until = now() where id = ${second.transactionId}`;
  expect(await attemptPayment(ctx, node, second.transactionId, 'lookup')).toMatchObject({ status: 'succeeded' });
  held.release();
  // The held send lands on a paid hash: the node reports that payment instead of paying again.
  expect(await paying).toMatchObject({ status: 'succeeded' });
  await paidOnce(account, second.transactionId, second.paymentHash);
});

it('a lookup before the second payment was ever sent sends it rather than voiding it', async () => {
  const { account, second } = await failedOnce();
  expect(await attemptPayment(ctx, node, second.transactionId, 'lookup')).toMatchObject({ status: 'succeeded' });
  // The queued pay job comes after: nothing is left to do.
  expect(await attemptPayment(ctx, node, second.transactionId, 'pay')).toMatchObject({ status: 'succeeded' });
  await paidOnce(account, second.transactionId, second.paymentHash);
});

it('a lookup still voids the payment when its own send failed (the sending attempt died before finishing)', async () => {
  const { account, second, paymentRequest } = await failedOnce();
  // What a pay attempt does before its worker dies: its start (lease run out at once), then the node's failure.
  await startAttempt(ctx.sql, second.transactionId, { leaseSeconds: 0, sending: true });
  node.faults.failPayments = 'incorrect_payment_details';
  expect(await node.payInvoice({ paymentRequest, maxFeeMsat: AMOUNT, timeoutSeconds: 5 })).toMatchObject({ status: 'failed' });
  node.faults.failPayments = undefined;
  expect(await attemptPayment(ctx, node, second.transactionId, 'lookup')).toMatchObject({ status: 'failed', failureReason: 'incorrect_payment_details' });
  expect(await balance(ctx.sql, account)).toBe(FUNDS);
  expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
});
