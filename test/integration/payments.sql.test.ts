// The wallet's one-round-trip SQL functions (migrations/0010_wallet_speed.sql, 0011_wallet_batches.sql), called directly:
// the database itself must keep the guarantees, whatever code calls it.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance, post } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { recordTransactionEvents, toTransaction, type TransactionRow } from '../../core/payments/transactions.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { fund } from '../support/wallet.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => db.drop());

const key = () => randomBytes(8).toString('hex');
async function funded(amountMsat: bigint): Promise<string> {
  const a = await accounts.forPubkey(db.sql, randomBytes(32).toString('hex'));
  if (amountMsat > 0n) {
    await fund(db.sql, a.id, amountMsat);
  }
  return a.id;
}

const callTransfer = (from: string, to: string, amountMsat: bigint, k: string, metadata: Record<string, unknown> | null = null) => db.sql<TransactionRow[]>`
  select * from payment_transfer(${from}, ${to}, ${amountMsat}, ${k}, ${`transfer:${from}:${k}`}, ${'memo'}, ${metadata ? db.sql.json(metadata as never) : null})`;

/** What a transfer key left behind: rows on both sides, journals, outbox events. */
async function traces(from: string, k: string) {
  const rows = await db.sql<{ id: string }[]>`select id from transactions where idempotency_key in (${k}, ${`transfer:${from}:${k}`})`;
  const ids = rows.map((r) => r.id);
  const [{ journals }] = await db.sql<[{ journals: number }]>`select count(*)::int as journals from journals where ref = any(${db.sql.array(ids)}::uuid[])`;
  const [{ events }] = await db.sql<[{ events: number }]>`select count(*)::int as events from event_outbox where payload->>'transactionId' = any(${db.sql.array(ids)})`;
  return { rows: ids.length, journals, events };
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string; constraint_name?: string }) => ({ code: e.code, constraint: e.constraint_name }));

describe('payment_transfer', () => {
  it('writes both sides, one journal and two events, and returns the sender row', async () => {
    const [a, b] = [await funded(5000n), await funded(0n)];
    const k = key();
    const [row] = await callTransfer(a, b, 1200n, k, { note: 'hi' });
    expect(row).toMatchObject({ account_id: a, direction: 'outgoing', kind: 'transfer', status: 'succeeded', amount_msat: 1200n, counterparty_account_id: b });
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([3800n, 1200n]);
    expect(await traces(a, k)).toEqual({ rows: 2, journals: 1, events: 2 });
  });

  it('refuses a reused key on the unique key, changing nothing', async () => {
    const [a, b] = [await funded(5000n), await funded(0n)];
    const k = key();
    await callTransfer(a, b, 1000n, k);
    expect(await errorOf(callTransfer(a, b, 1000n, k))).toEqual({ code: '23505', constraint: 'transactions_account_id_idempotency_key_key' });
    expect(await balance(db.sql, a)).toBe(4000n);
    expect(await traces(a, k)).toEqual({ rows: 2, journals: 1, events: 2 });
  });

  it('refuses an overdraft on the balance constraint and leaves nothing behind', async () => {
    const [a, b] = [await funded(999n), await funded(0n)];
    const k = key();
    expect(await errorOf(callTransfer(a, b, 1000n, k))).toEqual({ code: '23514', constraint: 'balance_not_negative' });
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([999n, 0n]);
    expect(await traces(a, k)).toEqual({ rows: 0, journals: 0, events: 0 });
  });

  it('refuses system and unknown accounts before posting anything', async () => {
    const a = await funded(5000n);
    for (const to of [systemAccounts.fees, randomUUID()]) {
      const k = key();
      expect(await errorOf(callTransfer(a, to, 1n, k))).toMatchObject({ code: 'P0002' });
      expect(await traces(a, k)).toEqual({ rows: 0, journals: 0, events: 0 });
    }
    expect(await balance(db.sql, a)).toBe(5000n);
  });

  it('lets exactly as many concurrent transfers through as the balance covers', async () => {
    const [a, b] = [await funded(10_000n), await funded(0n)];
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => callTransfer(a, b, 1000n, key())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([0n, 10_000n]);
  });
});

describe('payment_transfers', () => {
  const item = (from: string, to: string, amountMsat: bigint, k = key()) => ({ from, to, amount: amountMsat.toString(), key: k, incomingKey: `transfer:${from}:${k}`, memo: null, metadata: null });
  const callBatch = (items: ReturnType<typeof item>[]) => db.sql<TransactionRow[]>`select * from payment_transfers(${db.sql.json(items as never)})`;

  it('writes each item as payment_transfer does and returns the senders\' rows in order', async () => {
    const [a, b, c] = [await funded(5000n), await funded(5000n), await funded(0n)];
    const items = [item(a, c, 1000n), item(b, a, 2500n), item(c, b, 700n)];
    const rows = await callBatch(items);
    expect(rows.map((r) => [r.account_id, r.idempotency_key, r.amount_msat])).toEqual(items.map((i) => [i.from, i.key, BigInt(i.amount)]));
    expect([await balance(db.sql, a), await balance(db.sql, b), await balance(db.sql, c)]).toEqual([6500n, 3200n, 300n]);
    for (const i of items) expect(await traces(i.from, i.key)).toEqual({ rows: 2, journals: 1, events: 2 });
  });

  it('is all or nothing: one overdraft in the batch leaves no trace of the others', async () => {
    const [a, b] = [await funded(1000n), await funded(0n)];
    const items = [item(a, b, 400n), item(b, a, 900n)];
    expect(await errorOf(callBatch(items))).toEqual({ code: '23514', constraint: 'balance_not_negative' });
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([1000n, 0n]);
    expect(await traces(a, items[0]!.key)).toEqual({ rows: 0, journals: 0, events: 0 });
  });

  it('means what its items mean one by one in order: an overdraft covered only by a later item still fails', async () => {
    const [a, b] = [await funded(1000n), await funded(0n)];
    // Netted, b ends at +100; in order, b pays 300 it does not have yet.
    expect(await errorOf(callBatch([item(b, a, 300n), item(a, b, 400n)]))).toEqual({ code: '23514', constraint: 'balance_not_negative' });
    await callBatch([item(a, b, 400n), item(b, a, 300n)]);
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([900n, 100n]);
  });

  it('refuses a batch naming a system account before writing anything', async () => {
    const a = await funded(1000n);
    const items = [item(a, systemAccounts.fees, 10n)];
    expect((await errorOf(callBatch(items)))?.code).toBe('P0002');
    expect(await traces(a, items[0]!.key)).toEqual({ rows: 0, journals: 0, events: 0 });
  });
});

describe('payment_finish', () => {
  /** A pending outgoing payment of 10,000 msat with a 2,000 msat fee reserve, reserved. */
  async function pending(): Promise<{ id: string; account: string }> {
    const account = await funded(20_000n);
    const id = randomUUID();
    await db.sql.begin(async (tx) => {
      await tx`insert into transactions (id, account_id, direction, kind, status, idempotency_key, amount_msat, fee_reserve_msat, payment_hash, metadata)
        values (${id}, ${account}, 'outgoing', 'lightning', 'pending', ${key()}, 10000, 2000, ${randomBytes(32).toString('hex')}, ${tx.json({ app: null })})`;
      await post(tx, { idempotencyKey: `pay:${id}:reserve`, kind: 'payment.reserve', ref: id, postings: [{ accountId: account, amountMsat: -12_000n }, { accountId: systemAccounts.lightningPending, amountMsat: 12_000n }] });
      await tx`update transactions set attempts = 1 where id = ${id}`;
    });
    return { id, account };
  }
  const finish = (id: string, attempt: number, ok: boolean, feeMsat = 0n) => db.sql<TransactionRow[]>`
    select * from payment_finish(${id}, ${attempt}, ${ok}, ${ok ? 'ab'.repeat(32) : null}, ${ok ? feeMsat : null}, ${ok ? null : 'no_route'}, ${ok ? null : 'none found'})`;
  const journalsOf = async (id: string) => (await db.sql`select 1 from journals where idempotency_key = ${`pay:${id}:finish`}`).length;

  it('settles once, charging at most the reserve, and refunds the unused reserve', async () => {
    const p = await pending();
    const [settled] = await finish(p.id, 1, true, 500n);
    expect(settled).toMatchObject({ status: 'succeeded', fee_msat: 500n, preimage: 'ab'.repeat(32) });
    expect(await balance(db.sql, p.account)).toBe(20_000n - 10_500n);
    // Again, and a late failure of the same attempt: nothing changes.
    expect((await finish(p.id, 1, true, 900n))[0]).toMatchObject({ status: 'succeeded', fee_msat: 500n });
    expect((await finish(p.id, 1, false))[0]).toMatchObject({ status: 'succeeded' });
    expect(await journalsOf(p.id)).toBe(1);
    const over = await pending();
    expect((await finish(over.id, 1, true, 5000n))[0]).toMatchObject({ fee_msat: 2000n });
    expect(await balance(db.sql, over.account)).toBe(20_000n - 12_000n);
  });

  it('voids only for the latest attempt, returning the whole reserve', async () => {
    const p = await pending();
    expect((await finish(p.id, 0, false))[0]).toMatchObject({ status: 'pending' });
    expect(await journalsOf(p.id)).toBe(0);
    expect((await finish(p.id, 1, false))[0]).toMatchObject({ status: 'failed', failure_reason: 'no_route', failure_message: 'none found' });
    expect(await balance(db.sql, p.account)).toBe(20_000n);
    expect(await finish(randomUUID(), 1, false)).toEqual([]);
  });
});

describe('transaction_event', () => {
  it('builds the same payload as the engine does in TypeScript', async () => {
    const a = await funded(5000n);
    await callTransfer(a, await funded(0n), 10n, key(), { nested: { gone: null }, list: [1, null] });
    // Transfers both ways, settled and failed payments (with preimage, fee, reason, metadata).
    const rows = await db.sql<TransactionRow[]>`select * from transactions`;
    expect(new Set(rows.map((r) => `${r.kind}/${r.status}`))).toEqual(new Set(['transfer/succeeded', 'lightning/succeeded', 'lightning/failed']));
    for (const row of rows) {
      const [fromSql, fromTs] = await db.sql.begin(async (tx) => {
        await recordTransactionEvents(tx, ['payment.failed', toTransaction(row)]);
        const [s] = await tx<{ payload: unknown }[]>`select transaction_event('payment.failed', t) as payload from transactions t where id = ${row.id}`;
        const [n] = await tx<{ payload: unknown }[]>`select payload from event_outbox order by id desc limit 1`;
        return [s!.payload, n!.payload];
      });
      expect(fromSql).toEqual(fromTs);
    }
  });
});

describe('ledger check', () => {
  it('is clean after all of the above', async () => {
    expect(await check(db.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });
});
