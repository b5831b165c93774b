import { randomBytes, randomUUID } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeEvents } from '../../core/events.ts';
import { paymentEvents, type PaymentEvent } from '../../core/payments/events.ts';
import { check } from '../../core/ledger/check.ts';
import { ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { cancelHoldInvoice, createHoldInvoice, createInvoice, lookupInvoice, settleHoldInvoice } from '../../core/lightning/invoices.ts';
import { lookupPayment, payInvoice, payKeysend } from '../../core/lightning/pay.ts';
import type { ReserveGuard } from '../../core/payments/outgoing.ts';
import { history } from '../../core/payments/transactions.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { FakeLightningNode, fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { reconcile } from '../../workers/lightning/reconcile.ts';
import { newKey, startTestWallet, type TestWallet } from '../support/wallet.ts';

let w: TestWallet;
const events: PaymentEvent[] = [];
let consumer: { stop(): Promise<void> };
beforeAll(async () => {
  w = await startTestWallet();
  consumer = await consumeEvents({ events: paymentEvents,
    redis: w.ctx.redis, prefix: w.ctx.config.REDIS_PREFIX, group: 'test', consumer: 'c1', startAt: '0', log: w.ctx.log, blockMs: 200,
    handler: async (e) => { events.push(e); },
  });
});
afterAll(async () => {
  await consumer.stop();
  await w.close();
});

const pendingRows = async (accountId: string) => (await w.ctx.sql`select 1 from transactions where account_id = ${accountId} and status = 'pending'`).length;
const eventsOf = (accountId: string) => events.filter((e) => e.accountId === accountId);
/** A promise awaited only later: its rejection must fail the test there, not escape as unhandled meanwhile. */
const later = <T>(p: Promise<T>): Promise<T> => { p.catch(() => {}); return p; };

describe('receiving', () => {
  it('issues a real invoice and credits it exactly once when an outside payer pays', async () => {
    const a = await w.user();
    const inv = await createInvoice(w.ctx, { accountId: a, amountMsat: 21_000n, description: 'coffee', idempotencyKey: 'inv-1', metadata: { order: 7 } });
    expect(inv).toMatchObject({ direction: 'incoming', status: 'open', amountMsat: 21_000n, description: 'coffee' });
    expect(inv.paymentRequest).toMatch(/^lnbcrt210n1/);
    // Same key: same invoice.
    expect((await createInvoice(w.ctx, { accountId: a, amountMsat: 21_000n, idempotencyKey: 'inv-1' })).id).toBe(inv.id);

    const paid = await w.external.payInvoice({ paymentRequest: inv.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    expect(paid.status).toBe('succeeded');
    await expect.poll(() => balance(w.ctx.sql, a)).toBe(21_000n);
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.received']);
    expect(eventsOf(a)[0]).toMatchObject({ amountMsat: 21_000n, paymentHash: inv.paymentHash, description: 'coffee', metadata: { order: 7 } });
    // Paying again is refused by the node; the account is not credited twice.
    const again = await w.external.payInvoice({ paymentRequest: inv.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    expect(again.status).toBe('succeeded');
    expect((await lookupInvoice(w.ctx.sql, { paymentHash: inv.paymentHash! }))?.status).toBe('succeeded');
    expect(await balance(w.ctx.sql, a)).toBe(21_000n);
  });

  it('credits invoices paid while the watcher was down, once it resumes', async () => {
    const a = await w.user();
    const inv = await createInvoice(w.ctx, { accountId: a, idempotencyKey: newKey() });
    await w.workers.stop();
    await w.external.payInvoice({ paymentRequest: inv.paymentRequest!, amountMsat: 5000n, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    expect(await balance(w.ctx.sql, a)).toBe(0n);
    const { startWorkers } = await import('../../workers/role.ts');
    const { lightningWorkers } = await import('../../workers/lightning/module.ts');
    w.workers = await startWorkers(w.ctx, [lightningWorkers(w.node)]);
    await expect.poll(() => balance(w.ctx.sql, a)).toBe(5000n);
  });

  it('holds a payment until settled, and returns it when canceled', async () => {
    const a = await w.user();
    const preimage = randomBytes(32);
    const hash = bytesToHex(sha256(preimage));
    const hold = await createHoldInvoice(w.ctx, { accountId: a, amountMsat: 3000n, paymentHash: hash, idempotencyKey: newKey() });
    expect(hold.isHold).toBe(true);
    const paying = later(w.external.payInvoice({ paymentRequest: hold.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 10 }));
    await expect.poll(async () => (await lookupInvoice(w.ctx.sql, { paymentHash: hash }))?.status).toBe('accepted');
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['hold_invoice.accepted']);
    const settled = await settleHoldInvoice(w.ctx, { accountId: a, preimage: bytesToHex(preimage) });
    expect(settled.status).toBe('succeeded');
    expect(await paying).toMatchObject({ status: 'succeeded', preimage: bytesToHex(preimage) });
    expect(await balance(w.ctx.sql, a)).toBe(3000n);

    const hash2 = bytesToHex(sha256(randomBytes(32)));
    const hold2 = await createHoldInvoice(w.ctx, { accountId: a, amountMsat: 3000n, paymentHash: hash2, idempotencyKey: newKey() });
    const paying2 = later(w.external.payInvoice({ paymentRequest: hold2.paymentRequest!, maxFeeMsat: 10_000n, timeoutSeconds: 10 }));
    await expect.poll(async () => (await lookupInvoice(w.ctx.sql, { paymentHash: hash2 }))?.status).toBe('accepted');
    expect((await cancelHoldInvoice(w.ctx, { accountId: a, paymentHash: hash2 })).status).toBe('canceled');
    expect(await paying2).toMatchObject({ status: 'failed' });
    expect(await balance(w.ctx.sql, a)).toBe(3000n);
  });

  it('refuses bad invoice requests', async () => {
    const a = await w.user();
    await expect(createInvoice(w.ctx, { accountId: a, amountMsat: -5n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'amount_out_of_range' });
    await expect(createInvoice(w.ctx, { accountId: a, description: 'x', descriptionHash: 'ab'.repeat(32), idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(createInvoice(w.ctx, { accountId: 'not-a-uuid', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(createInvoice(w.ctx, { accountId: '7a0d6ad6-55a6-4d2b-9e36-3f7c4a8e0b11', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('paying', () => {
  it('pays an outside invoice: reserve, route, settle the actual fee', async () => {
    const a = await w.user(100_000n);
    const pr = await w.externalInvoice(40_000n);
    const r = await payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: 'pay-1', waitMs: 5000 });
    const fee = fakeRoutingFeeMsat(40_000n);
    expect(r).toMatchObject({ status: 'succeeded', amountMsat: 40_000n, feeMsat: fee });
    expect(await balance(w.ctx.sql, a)).toBe(100_000n - 40_000n - fee);
    expect((await w.external.lookupInvoice(r.paymentHash))?.state).toBe('settled');
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.sent']);

    // The same request, or the same invoice under another key: the first result, no second payment.
    expect(await payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: 'pay-1', waitMs: 5000 })).toEqual(r);
    expect(await payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: 'pay-2', waitMs: 5000 })).toEqual(r);
    expect(await balance(w.ctx.sql, a)).toBe(100_000n - 40_000n - fee);
    // Another account cannot pay the same hash through the node.
    const b = await w.user(100_000n);
    await expect(payInvoice(w.ctx, { accountId: b, paymentRequest: pr, idempotencyKey: newKey(), waitMs: 5000 })).rejects.toMatchObject({ code: 'already_paid' });
  });

  it('pays an amountless invoice with the amount given', async () => {
    const a = await w.user(100_000n);
    const r = await payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(), amountMsat: 7000n, idempotencyKey: newKey(), waitMs: 5000 });
    expect(r).toMatchObject({ status: 'succeeded', amountMsat: 7000n });
  });

  it('fails an unroutable invoice and releases the whole reserve', async () => {
    const a = await w.user(100_000n);
    const stranger = secp256k1.utils.randomSecretKey();
    const pr = encodeBolt11({ privateKey: stranger, network: 'regtest', paymentHash: bytesToHex(randomBytes(32)), paymentSecret: bytesToHex(randomBytes(32)), amountMsat: 1000n, createdAt: new Date(), expirySeconds: 600, cltvDelta: 40 });
    const r = await payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: newKey(), waitMs: 5000 });
    expect(r).toMatchObject({ status: 'failed', reason: 'no_route' });
    expect(await balance(w.ctx.sql, a)).toBe(100_000n);
    await expect.poll(() => eventsOf(a).map((e) => e.type)).toEqual(['payment.failed']);
  });

  it('refuses bad payments with clear errors and reserves nothing', async () => {
    const a = await w.user(50_000n);
    const key = secp256k1.utils.randomSecretKey();
    const encode = (o: Partial<Parameters<typeof encodeBolt11>[0]>) => encodeBolt11({ privateKey: key, network: 'regtest', paymentHash: bytesToHex(randomBytes(32)), paymentSecret: bytesToHex(randomBytes(32)), amountMsat: 1000n, createdAt: new Date(), expirySeconds: 600, cltvDelta: 40, ...o });
    const tryPay = (paymentRequest: string, extra: { amountMsat?: bigint } = {}) => payInvoice(w.ctx, { accountId: a, paymentRequest, idempotencyKey: newKey(), ...extra });
    const pr = await w.externalInvoice(1000n);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => tryPay('lnbcrt1garbage'), 'invalid_invoice'],
      [() => tryPay(pr.slice(0, -8) + 'qqqqqqqq'), 'invalid_invoice'],
      [() => tryPay(encode({ network: 'mainnet' })), 'wrong_network'],
      [() => tryPay(encode({ createdAt: new Date(Date.now() - 3600_000), expirySeconds: 60 })), 'expired'],
      [() => tryPay(encode({ amountMsat: undefined })), 'amount_required'],
      [() => tryPay(pr, { amountMsat: 999n }), 'amount_mismatch'],
      [() => tryPay(encode({ amountMsat: w.ctx.config.PAYMENT_MAX_MSAT + 1n })), 'amount_out_of_range'],
      [async () => tryPay(await w.externalInvoice(45_000n)), 'insufficient_balance'],
      [() => payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: '' }), 'invalid_request'],
    ];
    for (const [attempt, code] of cases) await expect(attempt()).rejects.toMatchObject({ name: 'PaymentError', code });
    expect(await balance(w.ctx.sql, a)).toBe(50_000n);
    expect(await pendingRows(a)).toBe(0);
  });

  it('pays an invoice of this service inside the ledger, without Lightning', async () => {
    const payer = await w.user(10_000n);
    const payee = await w.user();
    const inv = await createInvoice(w.ctx, { accountId: payee, amountMsat: 4000n, description: 'lunch', idempotencyKey: newKey() });
    const r = await payInvoice(w.ctx, { accountId: payer, paymentRequest: inv.paymentRequest!.toUpperCase(), idempotencyKey: newKey() });
    expect(r).toMatchObject({ status: 'succeeded', feeMsat: 0n, preimage: expect.any(String) });
    expect(bytesToHex(sha256(Buffer.from((r as { preimage: string }).preimage, 'hex')))).toBe(inv.paymentHash);
    expect([await balance(w.ctx.sql, payer), await balance(w.ctx.sql, payee)]).toEqual([6000n, 4000n]);
    expect((await lookupPayment(w.ctx.sql, { accountId: payer, paymentHash: inv.paymentHash! }))?.kind).toBe('internal');
    await expect.poll(() => eventsOf(payee).map((e) => e.type)).toEqual(['payment.received']);
    // Nobody else can pay it now, inside or outside; the node's copy is canceled.
    const other = await w.user(10_000n);
    await expect(payInvoice(w.ctx, { accountId: other, paymentRequest: inv.paymentRequest!, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'already_paid' });
    await expect(payInvoice(w.ctx, { accountId: payee, paymentRequest: inv.paymentRequest!, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'self_payment' });
    await expect.poll(async () => (await w.node.lookupInvoice(inv.paymentHash!))?.state).toBe('canceled');
  });

  it('keeps a payment pending while the node is down and finishes it by reconciliation', async () => {
    const a = await w.user(100_000n);
    w.node.faults.unavailable = true;
    const r = await payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(10_000n), idempotencyKey: newKey(), waitMs: 5000 });
    expect(r.status).toBe('pending');
    expect(await balance(w.ctx.sql, a)).toBeLessThan(90_000n);
    await reconcile(w.ctx, w.node, 0);
    expect((await lookupPayment(w.ctx.sql, { accountId: a, paymentHash: r.paymentHash }))?.status).toBe('pending');
    w.node.faults.unavailable = false;
    await reconcile(w.ctx, w.node, 0);
    expect(await lookupPayment(w.ctx.sql, { accountId: a, paymentHash: r.paymentHash })).toMatchObject({ status: 'succeeded', feeMsat: fakeRoutingFeeMsat(10_000n) });
    expect(await balance(w.ctx.sql, a)).toBe(90_000n - fakeRoutingFeeMsat(10_000n));
  });

  it('maps an injected backend failure to a failed payment', async () => {
    const a = await w.user(100_000n);
    w.node.faults.failPayments = 'insufficient_balance';
    try {
      const r = await payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(10_000n), idempotencyKey: newKey(), waitMs: 5000 });
      expect(r).toMatchObject({ status: 'failed', reason: 'insufficient_balance' });
      expect(await balance(w.ctx.sql, a)).toBe(100_000n);
    } finally {
      w.node.faults.failPayments = undefined;
    }
  });

  it('sends keysend payments to a node', async () => {
    const a = await w.user(100_000n);
    const r = await payKeysend(w.ctx, { accountId: a, destination: w.external.pubkey, amountMsat: 2000n, tlvRecords: { '34349334': 'beef' }, idempotencyKey: newKey(), waitMs: 5000 });
    expect(r).toMatchObject({ status: 'succeeded', feeMsat: fakeRoutingFeeMsat(2000n) });
    expect((await w.external.lookupInvoice(r.paymentHash))?.state).toBe('settled');
  });
});

describe('backend faults', () => {
  it('maps a node that is down to `unavailable` when issuing an invoice', async () => {
    const a = await w.user();
    w.node.faults.unavailable = true;
    try {
      await expect(createInvoice(w.ctx, { accountId: a, idempotencyKey: newKey() })).rejects.toMatchObject({ name: 'PaymentError', code: 'unavailable' });
    } finally {
      w.node.faults.unavailable = false;
    }
  });

  it('refuses to run the fake node off regtest', async () => {
    await expect(FakeLightningNode.open({ ...w.ctx, config: { NETWORK: 'mainnet' } }, 'flash')).rejects.toThrow(/only on regtest/);
    await expect(FakeLightningNode.open({ ...w.ctx, config: { NETWORK: 'signet' } }, 'other')).rejects.toThrow(/only on regtest/);
  });
});

describe('transfers and history', () => {
  it('transfers between accounts once per key and pages through history', async () => {
    const a = await w.user(10_000n);
    const b = await w.user();
    const t = await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 1000n, memo: 'thanks', idempotencyKey: 't-1' });
    expect(await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 1000n, memo: 'thanks', idempotencyKey: 't-1' })).toEqual(t);
    for (let i = 0; i < 4; i++) await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 100n, idempotencyKey: `t-more-${i}` });
    expect([await balance(w.ctx.sql, a), await balance(w.ctx.sql, b)]).toEqual([8600n, 1400n]);
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 9000n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'insufficient_balance' });
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: a, amountMsat: 1n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'self_payment' });
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: '00000000-0000-4000-8000-000000000005', amountMsat: 1n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'not_found' });
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: randomUUID(), amountMsat: 1n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'not_found' });

    const page1 = await history(w.ctx.sql, { accountId: b, limit: 3 });
    const page2 = await history(w.ctx.sql, { accountId: b, limit: 3, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((x) => [x.direction, x.amountMsat])).toEqual([
      ['incoming', 100n], ['incoming', 100n], ['incoming', 100n], ['incoming', 100n], ['incoming', 1000n]]);
    expect(page2.nextCursor).toBeUndefined();
    expect(page2.items.at(-1)).toMatchObject({ memo: 'thanks', counterpartyAccountId: a, kind: 'transfer' });
    const unpaid = await createInvoice(w.ctx, { accountId: b, amountMsat: 5n, idempotencyKey: newKey() });
    expect((await history(w.ctx.sql, { accountId: b, limit: 1 })).items[0]!.id).not.toBe(unpaid.id);
    expect((await history(w.ctx.sql, { accountId: b, limit: 1, includeUnpaid: true })).items[0]!.id).toBe(unpaid.id);
  });

  it('runs a transfer guard in the transaction: it sees the rows, and refusing undoes everything', async () => {
    const a = await w.user(5000n);
    const b = await w.user();
    const seen: number[] = [];
    const guard: ReserveGuard<{ refuse: boolean }> = {
      async check(tx, payments) {
        seen.push((await tx`select 1 from transactions where account_id = ${a} and kind = 'transfer'`).length);
        expect(payments.map((p) => p.payment.amount_msat)).toEqual([2000n]);
        if (payments[0]!.data.refuse) throw new PaymentError('insufficient_balance', 'over budget');
      },
    };
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 2000n, idempotencyKey: 'hooked-1', guard: { guard, data: { refuse: true } } })).rejects.toThrow('over budget');
    expect([await balance(w.ctx.sql, a), await balance(w.ctx.sql, b), await pendingRows(a)]).toEqual([5000n, 0n, 0]);
    await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 2000n, idempotencyKey: 'hooked-1', guard: { guard, data: { refuse: false } } });
    expect([await balance(w.ctx.sql, a), await balance(w.ctx.sql, b)]).toEqual([3000n, 2000n]);
    expect(seen).toEqual([1, 1]);
  });

  it('group-commits a burst of crossing transfers: each gets its own outcome, none deadlocks, repeats pay once', async () => {
    const [a, b, c] = [await w.user(5000n), await w.user(5000n), await w.user(0n)];
    // a ⇄ b cross in both directions (locks taken in opposite orders), c starts empty and
    // overdraws until b and a have paid it; one key is repeated inside the burst.
    const burst = Array.from({ length: 60 }, (_, i) => {
      const [from, to] = i % 3 === 0 ? [a, b] : i % 3 === 1 ? [b, a] : [c, a];
      return transfer(w.ctx, { fromAccountId: from, toAccountId: to, amountMsat: 100n, idempotencyKey: `burst-${i}` })
        .then((t) => t.id, (e: PaymentError) => e.code);
    });
    burst.push(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 100n, idempotencyKey: 'burst-0' }).then((t) => t.id));
    burst.push(transfer(w.ctx, { fromAccountId: a, toAccountId: c, amountMsat: 3000n, idempotencyKey: 'burst-fund-c' }).then((t) => t.id));
    const outcomes = await Promise.all(burst);
    expect(outcomes[60]).toBe(outcomes[0]);
    const refused = outcomes.filter((o) => o === 'insufficient_balance').length;
    expect(outcomes.filter((o) => o !== 'insufficient_balance' && !/^[0-9a-f-]{36}$/.test(o))).toEqual([]);
    // Money is conserved and each refused transfer moved nothing: c sent 100 per success.
    const sentByC = (20 - refused) * 100;
    expect(await balance(w.ctx.sql, c)).toBe(BigInt(3000 - sentByC));
    expect((await balance(w.ctx.sql, a)) + (await balance(w.ctx.sql, b)) + (await balance(w.ctx.sql, c))).toBe(10_000n);
    const rows = await w.ctx.sql`select 1 from transactions where account_id = ${a} and idempotency_key = 'burst-0'`;
    expect(rows).toHaveLength(1);
  });

  it('refuses a duplicate key used for another kind of request', async () => {
    const a = await w.user(10_000n);
    await createInvoice(w.ctx, { accountId: a, idempotencyKey: 'shared' });
    await expect(payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(1n), idempotencyKey: 'shared' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });

  it('returns the stored result for the same request again, and refuses a key reused for a different one, moving nothing', async () => {
    const [a, b, c] = [await w.user(100_000n), await w.user(), await w.user()];
    // An invoice, then another invoice under the same key.
    const pr = await w.externalInvoice(1000n);
    const paid = await payInvoice(w.ctx, { accountId: a, paymentRequest: pr, idempotencyKey: 'k-invoice', waitMs: 5000 });
    expect(await payInvoice(w.ctx, { accountId: a, paymentRequest: pr.toUpperCase(), idempotencyKey: 'k-invoice', waitMs: 5000 })).toEqual(paid);
    await expect(payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(1000n), idempotencyKey: 'k-invoice' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    // An amountless invoice, then the same one for another amount.
    const open = await w.externalInvoice();
    await payInvoice(w.ctx, { accountId: a, paymentRequest: open, amountMsat: 700n, idempotencyKey: 'k-open', waitMs: 5000 });
    await expect(payInvoice(w.ctx, { accountId: a, paymentRequest: open, amountMsat: 701n, idempotencyKey: 'k-open' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    // Keysend to another amount, and a transfer to someone else or of another amount.
    const sent = await payKeysend(w.ctx, { accountId: a, destination: w.external.pubkey, amountMsat: 500n, idempotencyKey: 'k-keysend', waitMs: 5000 });
    expect(await payKeysend(w.ctx, { accountId: a, destination: w.external.pubkey, amountMsat: 500n, idempotencyKey: 'k-keysend', waitMs: 5000 })).toEqual(sent);
    await expect(payKeysend(w.ctx, { accountId: a, destination: w.external.pubkey, amountMsat: 501n, idempotencyKey: 'k-keysend' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    const moved1 = await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 300n, idempotencyKey: 'k-transfer' });
    expect((await transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 300n, idempotencyKey: 'k-transfer' })).id).toBe(moved1.id);
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: c, amountMsat: 300n, idempotencyKey: 'k-transfer' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 301n, idempotencyKey: 'k-transfer' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    await expect(transfer(w.ctx, { fromAccountId: a, toAccountId: b, amountMsat: 300n, idempotencyKey: 'k-invoice' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    // Only what the accepted requests moved has moved, once each.
    const spent = (msat: bigint) => msat + fakeRoutingFeeMsat(msat);
    expect(await balance(w.ctx.sql, a)).toBe(100_000n - spent(1000n) - spent(700n) - spent(500n) - 300n);
    expect([await pendingRows(a), await balance(w.ctx.sql, b), await balance(w.ctx.sql, c)]).toEqual([0, 300n, 0n]);
  });
});

describe('ledger check', () => {
  it('is clean after all of the above', async () => {
    await expect.poll(async () => (await w.ctx.sql`select 1 from transactions where status = 'pending'`).length).toBe(0);
    expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
