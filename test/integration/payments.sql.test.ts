// The wallet's one-round-trip SQL functions (migrations/0010_wallet_speed.sql, 0011_wallet_batches.sql,
// 0013_transfer_sets.sql, 0017_payment_sets.sql), called directly:
// the database itself must keep the guarantees, whatever code calls it.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance, post } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { startAttempt } from '../../core/payments/outgoing.ts';
import { recordTransactionEvents, toTransaction, type TransactionRow } from '../../core/payments/transactions.ts';
import { railWorkers } from '../../workers/role.ts';
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

describe('payment_reserves', () => {
  const item = (account: string, amountMsat: bigint, k = key()) => ({
    id: randomUUID(), account_id: account, kind: 'lightning', rail: 'lightning', idempotency_key: k, amount_msat: amountMsat.toString(), fee_reserve_msat: '100',
    payment_hash: randomBytes(32).toString('hex'), payment_request: 'lnbcrt1', destination: '02' + 'aa'.repeat(32), metadata: { app: 'x' },
    expires_at: new Date(Date.now() + 60_000).toISOString(),
  });
  const callBatch = (items: Array<Record<string, unknown>>) => db.sql<TransactionRow[]>`select * from payment_reserves(${db.sql.json(items as never)})`;
  const reserveJournals = async (ids: string[]) => (await db.sql`select 1 from journals where idempotency_key = any(${db.sql.array(ids.map((id) => `pay:${id}:reserve`))})`).length;

  it('writes each pending row and its reserve (amount + fee reserve), rows in item order', async () => {
    const [a, b] = [await funded(5000n), await funded(5000n)];
    const items = [item(a, 1000n), item(b, 2000n), item(a, 400n)];
    const rows = await callBatch(items);
    expect(rows.map((r) => [r.id, r.account_id, r.status, r.direction, r.amount_msat, r.fee_reserve_msat])).toEqual(
      items.map((i) => [i.id, i.account_id, 'pending', 'outgoing', BigInt(i.amount_msat), 100n]));
    expect(rows[0]!.metadata).toEqual({ app: 'x' });
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([5000n - 1100n - 500n, 5000n - 2100n]);
    expect(await reserveJournals(items.map((i) => i.id))).toBe(3);
  });

  it('is all or nothing: an overdraft or a reused key leaves no trace of the batch', async () => {
    const a = await funded(1000n);
    const taken = item(a, 100n);
    await callBatch([taken]);
    const overdraft = [item(a, 500n), item(a, 500n)];
    expect(await errorOf(callBatch(overdraft))).toEqual({ code: '23514', constraint: 'balance_not_negative' });
    const reused = [item(a, 10n), item(a, 10n, taken.idempotency_key)];
    expect(await errorOf(callBatch(reused))).toEqual({ code: '23505', constraint: 'transactions_account_id_idempotency_key_key' });
    expect(await balance(db.sql, a)).toBe(800n);
    expect(await reserveJournals([...overdraft, ...reused].map((i) => i.id))).toBe(0);
  });

  it('refuses a batch naming a rail that does not exist, leaving no trace', async () => {
    const a = await funded(1000n);
    const batch = [item(a, 10n), { ...item(a, 10n), rail: 'nosuchrail' }];
    expect(await errorOf(callBatch(batch))).toMatchObject({ code: '22023' });
    expect(await balance(db.sql, a)).toBe(1000n);
    expect((await db.sql`select 1 from transactions where id = any(${db.sql.array(batch.map((i) => i.id))}::uuid[])`).length).toBe(0);
  });

  it('reserves, settles and voids on any rail through the accounts its rails row names', async () => {
    // A second rail as a later migration would add it: a pending account of its own, the
    // on-chain account as its asset account.
    const pendingAccount = randomUUID();
    await db.sql`insert into accounts (id, kind, code, name) values (${pendingAccount}, 'system', 'test_rail_pending', 'test rail')`;
    await db.sql`insert into rails (name, pending_account_id, asset_account_id) values ('testrail', ${pendingAccount}, ${systemAccounts.onchain})`;
    const held = async (account: string) => BigInt((await db.sql<[{ s: string }]>`select coalesce(sum(amount_msat), 0)::text as s from postings where account_id = ${account}`)[0].s);
    const [onchainBefore, lightningPendingBefore] = [await held(systemAccounts.onchain), await held(systemAccounts.lightningPending)];
    const a = await funded(10_000n);
    const [settle, fail] = [{ ...item(a, 3000n), kind: 'onchain', rail: 'testrail', payment_hash: undefined, rail_ref: 'aa'.repeat(32) + ':1', rail_data: { address: 'bcrt1q' } },
      { ...item(a, 1000n), kind: 'onchain', rail: 'testrail', payment_hash: undefined }];
    const rows = await callBatch([settle, fail]);
    expect(rows.map((r) => [r.rail, r.rail_ref, r.rail_data])).toEqual([['testrail', 'aa'.repeat(32) + ':1', { address: 'bcrt1q' }], ['testrail', null, null]]);
    expect(await held(pendingAccount)).toBe(3100n + 1100n);
    expect(await held(systemAccounts.lightningPending)).toBe(lightningPendingBefore);
    await db.sql`update transactions set attempts = 1 where id in (${settle.id}, ${fail.id})`;
    const finished = await db.sql<TransactionRow[]>`select * from payment_finishes(${db.sql.json([
      { id: settle.id, attempt: 1, succeeded: true, preimage: null, fee: '40', reason: null, message: null },
      { id: fail.id, attempt: 1, succeeded: false, preimage: null, fee: null, reason: 'rejected', message: null }] as never)})`;
    expect(finished.map((r) => [r.status, r.fee_msat])).toEqual([['succeeded', 40n], ['failed', 0n]]);
    expect(await held(pendingAccount)).toBe(0n);
    expect(await held(systemAccounts.onchain)).toBe(onchainBefore + 3040n);
    expect(await balance(db.sql, a)).toBe(10_000n - 3040n);
    const [event] = await db.sql<{ payload: Record<string, unknown> }[]>`select payload from event_outbox where payload->>'transactionId' = ${settle.id}`;
    expect(event!.payload).toMatchObject({ kind: 'onchain', railRef: 'aa'.repeat(32) + ':1', amountMsat: '3000', feeMsat: '40' });
  });
});

describe('ledger_post_set', () => {
  const call = (postings: Array<[key: string, account: string, amount: bigint]>) => db.sql<{ idempotency_key: string; created: boolean }[]>`
    select * from ledger_post_set(${db.sql.array(postings.map((p) => p[0]))}::text[], ${db.sql.array(postings.map(() => 'test'))}::text[],
      ${db.sql.array(postings.map(() => 'memo'))}::text[], array_fill(null::uuid, array[${postings.length}::int]),
      ${db.sql.array(postings.map((p) => p[1]))}::uuid[], ${db.sql.array(postings.map((p) => p[2]), 20)}::int8[])`;

  it('posts each journal once: a key posted before changes nothing and is reported as not created', async () => {
    const [a, b] = [await funded(1000n), await funded(0n)];
    const [k1, k2] = [key(), key()];
    await call([[k1, a, -100n], [k1, b, 100n]]);
    const second = await call([[k1, a, -100n], [k1, b, 100n], [k2, a, -50n], [k2, b, 50n]]);
    expect(Object.fromEntries(second.map((r) => [r.idempotency_key, r.created]))).toEqual({ [k1]: false, [k2]: true });
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([850n, 150n]);
  });

  it('checks balances after every posting in order, and refuses unbalanced journals and unknown accounts', async () => {
    const [a, b] = [await funded(100n), await funded(0n)];
    const [k1, k2] = [key(), key()];
    // Netted, b ends at 0; in order, b pays 100 it does not have yet.
    expect(await errorOf(call([[k1, b, -100n], [k1, a, 100n], [k2, a, -100n], [k2, b, 100n]]))).toEqual({ code: '23514', constraint: 'balance_not_negative' });
    expect((await errorOf(call([[key(), a, -10n], [key(), b, 10n]])))?.code).toBe('22023');
    expect((await errorOf(call([[k1, a, -10n], [k1, randomUUID(), 10n]])))?.code).toBe('23503');
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([100n, 0n]);
  });
});

describe('accounts', () => {
  it('are permanent: postings carry no foreign key, so an account is never deleted nor renumbered', async () => {
    const a = await funded(10n);
    expect((await errorOf(db.sql`delete from accounts where id = ${a}`))?.code).toBe('55000');
    expect((await errorOf(db.sql`update accounts set id = ${randomUUID()} where id = ${a}`))?.code).toBe('55000');
    expect(await balance(db.sql, a)).toBe(10n);
  });
});

describe('payment_finishes', () => {
  /** A pending outgoing payment of 10,000 msat with a 2,000 msat fee reserve, reserved. */
  async function pending(): Promise<{ id: string; account: string }> {
    const account = await funded(20_000n);
    const id = randomUUID();
    await db.sql.begin(async (tx) => {
      await tx`insert into transactions (id, account_id, direction, kind, rail, status, idempotency_key, amount_msat, fee_reserve_msat, payment_hash, metadata)
        values (${id}, ${account}, 'outgoing', 'lightning', 'lightning', 'pending', ${key()}, 10000, 2000, ${randomBytes(32).toString('hex')}, ${tx.json({ app: null })})`;
      await post(tx, { idempotencyKey: `pay:${id}:reserve`, kind: 'payment.reserve', ref: id, postings: [{ accountId: account, amountMsat: -12_000n }, { accountId: systemAccounts.lightningPending, amountMsat: 12_000n }] });
      await tx`update transactions set attempts = 1 where id = ${id}`;
    });
    return { id, account };
  }
  const outcome = (id: string, attempt: number, ok: boolean, feeMsat = 0n) => ({
    id, attempt, succeeded: ok, preimage: ok ? 'ab'.repeat(32) : null, fee: ok ? feeMsat.toString() : null, reason: ok ? null : 'no_route', message: ok ? null : 'none found',
  });
  const finishAll = (items: ReturnType<typeof outcome>[]) => db.sql<TransactionRow[]>`select * from payment_finishes(${db.sql.json(items as never)})`;
  const finish = (id: string, attempt: number, ok: boolean, feeMsat = 0n) => finishAll([outcome(id, attempt, ok, feeMsat)]);
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

  it('starts one of the attempts started at once for one payment; the others find it leased (startAttempt batches them)', async () => {
    const [p, q] = [await pending(), await pending()];
    const start = (id: string, sending = false) => startAttempt(db.sql, id, { leaseSeconds: 60, sending });
    const started = await Promise.all([start(p.id, true), start(p.id), start(q.id), start(randomUUID())]);
    expect(started.map((s) => s?.attempt)).toEqual([2, undefined, 2, undefined]);
    // Only the sending one records when its send began.
    expect([started[0]?.sendStartedAt, started[2]?.sendStartedAt]).toEqual([expect.any(Date), undefined]);
    // Leased until it ends (or the lease runs out): no attempt starts meanwhile.
    expect(await start(p.id)).toBeUndefined();
    await db.sql`update transactions set lease_until = now() where id = ${p.id}`;
    expect(await start(p.id)).toMatchObject({ attempt: 3 });
  });

  it('finishes a batch as its items one by one: settle, void, stale attempt, and an unknown id', async () => {
    const [s, v, stale] = [await pending(), await pending(), await pending()];
    const rows = await finishAll([outcome(s.id, 1, true, 300n), outcome(v.id, 1, false), outcome(randomUUID(), 1, false), outcome(stale.id, 0, false)]);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[s.id, 'succeeded'], [v.id, 'failed'], [stale.id, 'pending']]);
    expect([await balance(db.sql, s.account), await balance(db.sql, v.account), await balance(db.sql, stale.account)]).toEqual([20_000n - 10_300n, 20_000n, 8000n]);
    expect([await journalsOf(s.id), await journalsOf(v.id), await journalsOf(stale.id)]).toEqual([1, 1, 0]);
    const events = await db.sql<{ type: string }[]>`select type from event_outbox where payload->>'transactionId' in (${s.id}, ${v.id}, ${stale.id}) order by id`;
    expect(events.map((e) => e.type)).toEqual(['payment.sent', 'payment.failed']);
  });
});

describe('rails', () => {
  it('are declared in TypeScript as their rails rows say, for every rail the workers run', async () => {
    const rows = await db.sql<{ name: string; pending_account_id: string; asset_account_id: string }[]>`select * from rails`;
    for (const { rail } of railWorkers()) {
      expect(rows.find((r) => r.name === rail.name)).toEqual({
        name: rail.name, pending_account_id: systemAccounts[rail.pendingAccount], asset_account_id: systemAccounts[rail.assetAccount],
      });
    }
  });
});

describe('transaction_event', () => {
  it('builds the same payload as the engine does in TypeScript', async () => {
    const a = await funded(5000n);
    await callTransfer(a, await funded(0n), 10n, key(), { nested: { gone: null }, list: [1, null] });
    // Transfers both ways, pending, settled and failed payments (with preimage, fee, reason, metadata, rail reference).
    const rows = await db.sql<TransactionRow[]>`select * from transactions`;
    expect(new Set(rows.map((r) => `${r.kind}/${r.status}`))).toEqual(new Set(['transfer/succeeded', 'lightning/pending', 'lightning/succeeded', 'lightning/failed', 'onchain/succeeded', 'onchain/failed']));
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

  it('finds a posting that names no journal or account', async () => {
    const a = await funded(0n);
    // Only a hand-written insert can do this: the ledger functions check accounts first.
    await db.sql.begin(async (tx) => {
      const [j] = await tx<{ id: bigint }[]>`insert into journals (idempotency_key, kind) values (${key()}, 'test') returning id`;
      await tx`insert into postings (journal_id, account_id, amount_msat) values (${j!.id}, ${a}, 5), (${j!.id}, ${randomUUID()}, -5)`;
    });
    const found = await check(db.sql, ledgerRules);
    expect(found.map((v) => v.rule)).toContain('every posting names an existing journal and account');
  });
});
