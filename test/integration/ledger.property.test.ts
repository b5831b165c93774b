// Random sequences of ledger operations against a simple model: balances always match the
// model, never go negative, and `ledger check` stays clean.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check } from '../../core/ledger/check.ts';
import { balance, InsufficientBalanceError, post, type Posting } from '../../core/ledger/ledger.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => db.drop());

const HOLDERS = 3;
const who = fc.integer({ min: 0, max: HOLDERS - 1 });
const msat = fc.bigInt({ min: 1n, max: 5000n });
const op = fc.oneof(
  fc.record({ t: fc.constant('fund' as const), to: who, amount: msat }),
  fc.record({ t: fc.constant('transfer' as const), from: who, to: who, amount: msat }),
  fc.record({ t: fc.constant('reserve' as const), from: who, amount: msat, feeReserve: fc.bigInt({ min: 0n, max: 100n }) }),
  fc.record({ t: fc.constant('settle' as const), pick: fc.nat(), fee: fc.bigInt({ min: 0n, max: 100n }) }),
  fc.record({ t: fc.constant('void' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('replay' as const), pick: fc.nat() }),
);

it('keeps its invariants over random operation sequences', async () => {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
    const ids = await Promise.all(Array.from({ length: HOLDERS }, async () => (await accounts.forPubkey(db.sql, randomBytes(32).toString('hex'))).id));
    const model = ids.map(() => 0n);
    const reservations: Array<{ key: string; from: number; total: bigint; finished: boolean }> = [];
    const posted: Array<{ key: string; postings: Posting[] }> = [];
    const run = async (key: string, postings: Posting[]) => {
      await post(db.sql, { idempotencyKey: key, kind: 'prop', postings });
      posted.push({ key, postings });
    };
    for (const o of ops) {
      const key = randomBytes(8).toString('hex');
      if (o.t === 'fund') {
        await run(key, [{ accountId: systemAccounts.equity, amountMsat: -o.amount }, { accountId: ids[o.to]!, amountMsat: o.amount }]);
        model[o.to]! += o.amount;
      } else if (o.t === 'transfer' || o.t === 'reserve') {
        const total = o.amount + (o.t === 'reserve' ? o.feeReserve : 0n);
        const target = o.t === 'transfer' ? ids[o.to]! : systemAccounts.lightningPending;
        const attempt = run(key, [{ accountId: ids[o.from]!, amountMsat: -total }, { accountId: target, amountMsat: total }]);
        // Balances are checked on each account's net change: a self-transfer always passes.
        const self = o.t === 'transfer' && o.from === o.to;
        if (!self && model[o.from]! < total) {
          await expect(attempt).rejects.toThrow(InsufficientBalanceError);
          continue;
        }
        await attempt;
        model[o.from]! -= total;
        if (o.t === 'transfer') model[o.to]! += total;
        else reservations.push({ key, from: o.from, total, finished: false });
      } else if (o.t === 'settle' || o.t === 'void') {
        const r = reservations[o.pick % Math.max(1, reservations.length)];
        if (!r) continue;
        // Settle and void share one key per reservation: whichever comes first is final.
        const refund = o.t === 'void' ? r.total : r.total - (o.fee < r.total ? o.fee : r.total);
        await run(`${r.key}:finish`, [{ accountId: systemAccounts.lightningPending, amountMsat: -r.total }, { accountId: systemAccounts.lightning, amountMsat: r.total - refund }, { accountId: ids[r.from]!, amountMsat: refund }]);
        if (!r.finished) model[r.from]! += refund;
        r.finished = true;
      } else {
        const p = posted[o.pick % Math.max(1, posted.length)];
        if (p) await run(p.key, p.postings);
      }
      for (let i = 0; i < HOLDERS; i++) expect(await balance(db.sql, ids[i]!)).toBe(model[i]);
    }
    expect(model.every((b) => b >= 0n)).toBe(true);
  }), { numRuns: 40 });
  expect(await check(db.sql)).toEqual([]);
});
