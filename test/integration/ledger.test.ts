import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check } from '../../core/ledger/check.ts';
import { balance, entries, InsufficientBalanceError, LedgerError, post } from '../../core/ledger/ledger.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { fund } from '../support/wallet.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => db.drop());

const pubkey = () => randomBytes(32).toString('hex');
const key = () => randomBytes(8).toString('hex');
async function funded(amountMsat: bigint): Promise<string> {
  const a = await accounts.forPubkey(db.sql, pubkey());
  await fund(db.sql, a.id, amountMsat);
  return a.id;
}
const transfer = (from: string, to: string, amountMsat: bigint, k = key()) =>
  post(db.sql, { idempotencyKey: k, kind: 'transfer', postings: [{ accountId: from, amountMsat: -amountMsat }, { accountId: to, amountMsat }] });

describe('accounts', () => {
  it('creates one user account per pubkey, also under concurrent first use', async () => {
    const pk = pubkey();
    const all = await Promise.all(Array.from({ length: 20 }, () => accounts.forPubkey(db.sql, pk)));
    expect(new Set(all.map((a) => a.id)).size).toBe(1);
    expect(all[0]).toMatchObject({ kind: 'user', pubkey: pk, balanceMsat: 0n });
    expect((await accounts.forPubkey(db.sql, pk.toUpperCase())).id).toBe(all[0]!.id);
  });

  it('refuses a malformed pubkey', async () => {
    await expect(accounts.forPubkey(db.sql, 'npub1xyz')).rejects.toThrow(/64 hex/);
  });

  it('keeps sub-wallet and business balances separate from their owner', async () => {
    const owner = await funded(5000n);
    const sub = await accounts.createSubwallet(db.sql, { parentId: owner, name: 'damus' });
    const biz = await accounts.createBusiness(db.sql, { name: 'coffee shop' });
    await transfer(owner, sub.id, 2000n);
    await transfer(sub.id, biz.id, 500n);
    expect([await balance(db.sql, owner), await balance(db.sql, sub.id), await balance(db.sql, biz.id)]).toEqual([3000n, 1500n, 500n]);
    expect((await accounts.subwallets(db.sql, owner)).map((a) => a.id)).toEqual([sub.id]);
  });
});

describe('journals', () => {
  it('moves money and derives system balances from postings', async () => {
    const before = await balance(db.sql, systemAccounts.equity);
    const a = await funded(1000n);
    expect(await balance(db.sql, a)).toBe(1000n);
    expect(await balance(db.sql, systemAccounts.equity)).toBe(before - 1000n);
  });

  it('posts a key once: a repeat returns the first journal', async () => {
    const a = await funded(1000n);
    const b = (await accounts.forPubkey(db.sql, pubkey())).id;
    const k = key();
    const results = await Promise.all(Array.from({ length: 10 }, () => transfer(a, b, 300n, k)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.journalId)).size).toBe(1);
    expect(await balance(db.sql, b)).toBe(300n);
  });

  it('refuses to take a holder below zero and leaves nothing behind', async () => {
    const a = await funded(100n);
    const b = (await accounts.forPubkey(db.sql, pubkey())).id;
    const k = key();
    await expect(transfer(a, b, 101n, k)).rejects.toThrow(InsufficientBalanceError);
    expect([await balance(db.sql, a), await balance(db.sql, b)]).toEqual([100n, 0n]);
    expect(await db.sql`select 1 from journals where idempotency_key = ${k}`).toHaveLength(0);
  });

  it('refuses unbalanced, one-sided and unknown-account journals', async () => {
    const a = await funded(100n);
    await expect(post(db.sql, { idempotencyKey: key(), kind: 'x', postings: [{ accountId: a, amountMsat: -5n }, { accountId: systemAccounts.fees, amountMsat: 4n }] })).rejects.toThrow(LedgerError);
    await expect(post(db.sql, { idempotencyKey: key(), kind: 'x', postings: [{ accountId: a, amountMsat: 0n }] })).rejects.toThrow(LedgerError);
    await expect(post(db.sql, { idempotencyKey: key(), kind: 'x', postings: [{ accountId: a, amountMsat: -5n }, { accountId: '7a0d6ad6-55a6-4d2b-9e36-3f7c4a8e0b11', amountMsat: 5n }] })).rejects.toThrow(LedgerError);
    expect(await balance(db.sql, a)).toBe(100n);
  });

  it('is enforced by the database, not only by this code', async () => {
    const a = await funded(100n);
    await expect(db.sql`update accounts set balance_msat = -1 where id = ${a}`).rejects.toMatchObject({ constraint_name: 'balance_not_negative' });
    await expect(db.sql`update postings set amount_msat = amount_msat + 1 where account_id = ${a}`).rejects.toThrow(/append-only/);
    await expect(db.sql`delete from journals`).rejects.toThrow(/append-only/);
    await expect(db.sql.begin(async (tx) => {
      const [j] = await tx<{ id: bigint }[]>`insert into journals (idempotency_key, kind) values (${key()}, 'rogue') returning id`;
      await tx`insert into postings (journal_id, account_id, amount_msat) values (${j!.id}, ${systemAccounts.fees}, 7)`;
    })).rejects.toMatchObject({ constraint_name: 'journal_balanced' });
  });

  it('never deadlocks nor goes negative under concurrent crossing transfers', async () => {
    const a = await funded(1000n);
    const b = await funded(1000n);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => (i % 2 ? transfer(a, b, 30n) : transfer(b, a, 30n))));
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    expect((await balance(db.sql, a)) + (await balance(db.sql, b))).toBe(2000n);
  });

  it('lets exactly as many concurrent debits through as the balance covers', async () => {
    const a = await funded(100n * 70n);
    const sink = (await accounts.forPubkey(db.sql, pubkey())).id;
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => transfer(a, sink, 70n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof InsufficientBalanceError)).toBe(true);
    expect(await balance(db.sql, a)).toBe(0n);
  });

  it('pages through an account history, newest first', async () => {
    const a = await funded(1000n);
    const b = (await accounts.forPubkey(db.sql, pubkey())).id;
    for (let i = 1n; i <= 5n; i++) await transfer(a, b, i);
    const first = await entries(db.sql, a, { limit: 4 });
    const second = await entries(db.sql, a, { limit: 4, before: first.next });
    expect([...first.items, ...second.items].map((e) => e.amountMsat)).toEqual([-5n, -4n, -3n, -2n, -1n, 1000n]);
    expect(second.next).toBeUndefined();
  });
});

describe('ledger check', () => {
  it('is clean on a consistent ledger and names a tampered balance', async () => {
    expect(await check(db.sql)).toEqual([]);
    const a = await funded(100n);
    await db.sql`update accounts set balance_msat = 99 where id = ${a}`;
    const found = await check(db.sql);
    expect(found).toEqual([{ rule: 'holder balance equals the sum of its postings', detail: `account ${a}: balance 99, postings 100` }]);
    await db.sql`update accounts set balance_msat = 100 where id = ${a}`;
  });
});
