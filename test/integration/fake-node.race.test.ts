// The fake node under racing payers, settles and cancels: every transaction that locks
// invoices and payments (a payer completing its payment, a hold invoice settled or canceled,
// the subscriber's sequencer numbering updates) runs at once, many times over, so that a
// lock-order deadlock would surface here.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { LightningError, type Invoice, type PaymentStatus } from '../../workers/lightning/port.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let ctx: TestContext;
let flash: FakeLightningNode;
let external: FakeLightningNode;
let third: FakeLightningNode;
beforeAll(async () => {
  ctx = await createTestContext();
  [flash, external, third] = await Promise.all([FakeLightningNode.open(ctx, 'flash'), FakeLightningNode.open(ctx, 'external'), FakeLightningNode.open(ctx, 'third')]);
});
afterAll(async () => {
  for (const n of [flash, external, third]) await n?.close();
  await ctx?.close();
});

const N = 40;
const ROUNDS = 3;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const pay = (from: FakeLightningNode, paymentRequest: string) => from.payInvoice({ paymentRequest, maxFeeMsat: 100_000n, timeoutSeconds: 30 });
const tick = () => new Promise((r) => setTimeout(r, 5));

/**
 * Settles or cancels as soon as the payment is held: tries while the payer's node is still
 * completing it. With a second payer, only once that one is in flight too (a settled invoice
 * refuses later payers).
 */
async function decide(node: FakeLightningNode, preimage: string, settle: boolean, secondPayer?: FakeLightningNode): Promise<void> {
  while (secondPayer && (await secondPayer.lookupPayment(sha256(preimage))).status === 'unknown') await tick();
  for (;;) {
    try {
      if (settle) await node.settleHoldInvoice(preimage);
      else if ((await node.lookupInvoice(sha256(preimage)))?.state === 'accepted') await node.cancelHoldInvoice(sha256(preimage));
      else throw new LightningError('invalid_request', 'not accepted yet');
      return;
    } catch (err) {
      if (!(err instanceof LightningError && err.code === 'invalid_request')) throw err;
      await tick();
    }
  }
}

/** Looks a payment up again and again (another path that completes payments) until it is final. */
async function lookUntilFinal(node: FakeLightningNode, hash: string): Promise<PaymentStatus> {
  for (;;) {
    const s = await node.lookupPayment(hash);
    if (s.status === 'succeeded' || s.status === 'failed') return s;
    await tick();
  }
}

it('settles and cancels many paid hold invoices while payers complete, look up and pay plain invoices, without deadlock', async () => {
  const updates: Invoice[] = [];
  const errors: Error[] = [];
  const sub = flash.subscribeInvoices(0n, async (i) => { updates.push(i); }, (e) => errors.push(e));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const holds = await Promise.all(range(N).map(async (i) => {
        const preimage = randomBytes(32).toString('hex');
        const inv = await flash.createHoldInvoice({ amountMsat: 1000n + BigInt(i), paymentHash: sha256(preimage), expirySeconds: 600 });
        // every fourth has a second payer, on another node
        return { preimage, inv, settle: i % 2 === 0, twice: i % 4 === 1 };
      }));
      const plain = await Promise.all(range(N).map(() => flash.createInvoice({ amountMsat: 2000n, expirySeconds: 600 })));
      const outward = await Promise.all(range(N).map(() => third.createInvoice({ amountMsat: 3000n, expirySeconds: 600 })));

      const [held, twice, looked, paidIn, paidOut] = await Promise.all([
        Promise.all(holds.map((h) => pay(external, h.inv.paymentRequest))),
        Promise.all(holds.filter((h) => h.twice).map((h) => pay(third, h.inv.paymentRequest))),
        Promise.all(holds.map((h) => lookUntilFinal(external, h.inv.paymentHash))),
        Promise.all(plain.map((inv, i) => pay(i % 2 ? external : third, inv.paymentRequest))),
        Promise.all(outward.map((inv) => pay(flash, inv.paymentRequest))),
        Promise.all(holds.map((h) => decide(flash, h.preimage, h.settle, h.twice ? third : undefined))),
      ]);

      holds.forEach((h, i) => {
        const expected = h.settle ? { status: 'succeeded', preimage: h.preimage } : { status: 'failed', reason: 'incorrect_payment_details' };
        expect(held[i]).toMatchObject(expected);
        expect(looked[i]).toMatchObject(expected);
      });
      expect(twice).toEqual(holds.filter((h) => h.twice).map((h) => expect.objectContaining({ status: h.settle ? 'succeeded' : 'failed' })));
      expect([...paidIn, ...paidOut].map((p) => p.status)).toEqual(Array(2 * N).fill('succeeded'));
      const states = await Promise.all(holds.map((h) => flash.lookupInvoice(h.inv.paymentHash)));
      expect(states.map((s) => s?.state)).toEqual(holds.map((h) => (h.settle ? 'settled' : 'canceled')));
    }
    // The subscriber saw every settlement exactly once, in settle-index order.
    const settled = await ctx.sql<{ payment_hash: string }[]>`select payment_hash from fake_ln_invoices where node = 'flash' and state = 'settled'`;
    expect(settled).toHaveLength(ROUNDS * (N / 2 + N));
    await expect.poll(() => updates.filter((u) => u.state === 'settled').length, { timeout: 10_000 }).toBe(settled.length);
    const seen = updates.filter((u) => u.state === 'settled');
    expect(new Set(seen.map((u) => u.paymentHash)).size).toBe(seen.length);
    expect(seen.map((u) => u.settleIndex!)).toEqual(seen.map((u) => u.settleIndex!).toSorted((a, b) => (a < b ? -1 : 1)));
    expect(errors).toEqual([]);
  } finally {
    sub.close();
  }
});

it('settling or canceling a hold invoice touches only the payments to that node, not others of the same hash', async () => {
  const preimage = randomBytes(32).toString('hex');
  const hash = sha256(preimage);
  const ours = await flash.createHoldInvoice({ amountMsat: 5000n, paymentHash: hash, expirySeconds: 600 });
  const theirs = await third.createHoldInvoice({ amountMsat: 5000n, paymentHash: hash, expirySeconds: 600 });
  const toUs = pay(external, ours.paymentRequest);
  const toThem = pay(flash, theirs.paymentRequest);
  await expect.poll(async () => (await third.lookupInvoice(hash))?.state).toBe('accepted');
  await decide(flash, preimage, true);
  expect(await toUs).toMatchObject({ status: 'succeeded', preimage });
  expect(await flash.lookupPayment(hash)).toEqual({ status: 'pending', paymentHash: hash });
  await decide(third, preimage, false);
  expect(await toThem).toMatchObject({ status: 'failed' });
});
