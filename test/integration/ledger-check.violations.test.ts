// `flash ledger check` must be able to fail: each rule of core/ledger/check.ts and
// core/payments/check.ts is shown a scratch database that breaks exactly that rule (written by
// hand, with the database's own guards switched off where they would refuse it) and must be the
// one rule that reports it. A rule with no case here fails the first test.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { post } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import type { Tx } from '../../core/db.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const rules = { ...ledgerRules, ...paymentRules };
const { equity, fees, lightning, lightningPending: pending } = systemAccounts;

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => db.drop());

/** Writes in one transaction; `unguarded` switches off triggers (append-only, balanced journals) for it. */
const seed = (write: (tx: Tx) => Promise<unknown>, unguarded = false) => db.sql.begin(async (tx) => {
  if (unguarded) await tx`set local session_replication_role = replica`;
  await write(tx);
});

/** A balanced journal through the ledger's own function (holder balances move with it). */
const journal = (tx: Tx, key: string, postings: [string, bigint][]) => post(tx, {
  idempotencyKey: key, kind: 'test', postings: postings.map(([accountId, amountMsat]) => ({ accountId, amountMsat })),
});

/** Postings written as they are, into a journal of their own (no balance moves). */
async function rawJournal(tx: Tx, key: string, postings: [string, bigint][]): Promise<bigint> {
  const [j] = await tx<{ id: bigint }[]>`insert into journals (idempotency_key, kind) values (${key}, 'test') returning id`;
  for (const [account, amount] of postings) {
    await tx`insert into postings (journal_id, account_id, amount_msat) values (${j!.id}, ${account}, ${amount})`;
  }
  return j!.id;
}

async function holder(tx: Tx): Promise<string> {
  const [a] = await tx<{ id: string }[]>`insert into accounts (kind, balance_msat) values ('user', 0) returning id`;
  return a!.id;
}

interface Payment { account: string; direction: 'incoming' | 'outgoing'; status: string; amount: bigint; reserve?: bigint; hash?: string; rail?: string }
async function payment(tx: Tx, p: Payment): Promise<string> {
  const [t] = await tx<{ id: string }[]>`
    insert into transactions (account_id, direction, kind, rail, status, idempotency_key, amount_msat, fee_reserve_msat, payment_hash)
    values (${p.account}, ${p.direction}, 'lightning', ${p.rail ?? 'lightning'}, ${p.status}, ${randomUUID()}, ${p.amount}, ${p.reserve ?? 0n}, ${p.hash ?? randomBytes(32).toString('hex')})
    returning id`;
  return t!.id;
}

/** An outgoing payment reserved as payment_reserves does: amount + reserve to lightning_pending. */
async function reserved(tx: Tx, status: string, amount = 1000n, reserve = 10n): Promise<{ id: string; account: string }> {
  const account = await holder(tx);
  await journal(tx, randomUUID(), [[equity, -(amount + reserve)], [account, amount + reserve]]);
  const id = await payment(tx, { account, direction: 'outgoing', status, amount, reserve });
  await journal(tx, `pay:${id}:reserve`, [[account, -(amount + reserve)], [pending, amount + reserve]]);
  return { id, account };
}

/** Which rules fire, and what each says. */
async function findings(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const v of await check(db.sql, rules)) (out[v.rule] ??= []).push(v.detail);
  return out;
}

interface Case { rule: string; name: string; seed(): Promise<string[]>; also?: string[] }

const cases: Case[] = [
  {
    rule: 'journal postings sum to zero (two or more postings)',
    name: 'two journals that do not balance (but together do), and one without postings',
    async seed() {
      let ids: bigint[] = [];
      await seed(async (tx) => {
        ids = [
          await rawJournal(tx, 'a', [[equity, 7n], [fees, -5n]]),
          await rawJournal(tx, 'b', [[equity, -7n], [fees, 5n]]),
          await rawJournal(tx, 'c', []),
        ];
      }, true);
      return [`journal ${ids[0]} (a): 2 postings, sum 2`, `journal ${ids[1]} (b): 2 postings, sum -2`, `journal ${ids[2]} (c): 0 postings, sum 0`];
    },
  },
  {
    rule: 'journal postings sum to zero (two or more postings)',
    name: 'a journal of one posting of zero',
    async seed() {
      let id = 0n;
      // amount_msat <> 0 is a check constraint: only a scratch database may lose it.
      await db.sql`alter table postings drop constraint postings_amount_msat_check`;
      await seed(async (tx) => { id = await rawJournal(tx, 'lone', [[equity, 0n]]); }, true);
      return [`journal ${id} (lone): 1 postings, sum 0`];
    },
  },
  {
    rule: 'holder balance equals the sum of its postings',
    name: 'a balance changed without a journal',
    async seed() {
      let a = '';
      await seed(async (tx) => {
        a = await holder(tx);
        await journal(tx, 'fund', [[equity, -300n], [a, 300n]]);
        await tx`update accounts set balance_msat = 500 where id = ${a}`;
      });
      return [`account ${a}: balance 500, postings 300`];
    },
  },
  {
    rule: 'holder balances are not negative',
    name: 'an overdraft whose postings agree with it',
    async seed() {
      let a = '';
      await db.sql`alter table accounts drop constraint balance_not_negative`;
      await seed(async (tx) => {
        a = await holder(tx);
        await journal(tx, 'overdraft', [[a, -40n], [equity, 40n]]);
      });
      return [`account ${a}: balance -40`];
    },
  },
  {
    rule: 'every posting names an existing journal and account',
    name: 'postings naming a missing account, and a missing journal',
    async seed() {
      const ghost = randomUUID();
      let j = 0n;
      let ids: bigint[] = [];
      await seed(async (tx) => {
        j = await rawJournal(tx, 'ghost', [[ghost, -9n], [equity, 9n]]);
        ids = (await tx<{ id: bigint }[]>`
          insert into postings (journal_id, account_id, amount_msat) values (${j + 1000n}, ${equity}, 4), (${j + 1000n}, ${fees}, -4) returning id`).map((r) => r.id);
      });
      const [p] = await db.sql<{ id: bigint }[]>`select id from postings where account_id = ${ghost}`;
      return [`posting ${p!.id}: journal ${j}, account ${ghost}`, ...ids.map((id, i) => `posting ${id}: journal ${j + 1000n}, account ${[equity, fees][i]}`)];
    },
  },
  {
    // Implied by the two rules above (balanced journals + no orphans ⇒ zero sum), so never alone.
    rule: 'all postings sum to zero',
    name: 'a posting of a missing journal that nothing offsets',
    also: ['every posting names an existing journal and account'],
    async seed() {
      await seed((tx) => tx`insert into postings (journal_id, account_id, amount_msat) values (-1, ${equity}, 12)`);
      return ['postings sum to 12'];
    },
  },
  {
    rule: 'a pending payment holds its reserve and is not finished',
    name: 'a pending payment reserved under another key',
    async seed() {
      let id = '';
      await seed(async (tx) => {
        const account = await holder(tx);
        await journal(tx, 'fund', [[equity, -1010n], [account, 1010n]]);
        id = await payment(tx, { account, direction: 'outgoing', status: 'pending', amount: 1000n, reserve: 10n });
        await journal(tx, `pay:${id}:reserved`, [[account, -1010n], [pending, 1010n]]);
      });
      return [`payment ${id}`];
    },
  },
  {
    rule: 'a pending payment holds its reserve and is not finished',
    name: 'a pending payment already voided',
    async seed() {
      let id = '';
      await seed(async (tx) => {
        const p = await reserved(tx, 'pending');
        id = p.id;
        await journal(tx, `pay:${id}:finish`, [[pending, -1010n], [p.account, 1010n]]);
        // The reserve still counted as in flight, so that only this rule has a reason to fire.
        await journal(tx, 'adjust', [[equity, -1010n], [pending, 1010n]]);
      });
      return [`payment ${id}`];
    },
  },
  {
    rule: 'a finished payment on a rail was settled or voided',
    name: 'a succeeded and a failed payment with no finishing journal',
    async seed() {
      const ids: string[] = [];
      await seed(async (tx) => {
        const account = await holder(tx);
        ids.push(await payment(tx, { account, direction: 'outgoing', status: 'succeeded', amount: 1000n }));
        ids.push(await payment(tx, { account, direction: 'outgoing', status: 'failed', amount: 2000n }));
        // A finished one next to them, settled properly, is not reported.
        const ok = await reserved(tx, 'succeeded');
        await journal(tx, `pay:${ok.id}:finish`, [[pending, -1010n], [lightning, 1000n], [ok.account, 10n]]);
      });
      return [`payment ${ids[0]} (succeeded)`, `payment ${ids[1]} (failed)`];
    },
  },
  {
    rule: 'a paid invoice was credited',
    name: 'a paid invoice with no credit, next to one credited from outside and one internally',
    async seed() {
      let id = '';
      await seed(async (tx) => {
        const account = await holder(tx);
        id = await payment(tx, { account, direction: 'incoming', status: 'succeeded', amount: 500n });
        for (const prefix of ['receive', 'internal']) {
          const hash = randomBytes(32).toString('hex');
          await payment(tx, { account, direction: 'incoming', status: 'succeeded', amount: 500n, hash });
          await journal(tx, `${prefix}:${hash}`, [[lightning, -500n], [account, 500n]]);
        }
      });
      return [`invoice ${id}`];
    },
  },
  {
    rule: 'reserves in flight equal the pending payments',
    name: 'lightning_pending holding more than the pending payments reserve',
    async seed() {
      await seed(async (tx) => {
        await reserved(tx, 'pending', 1000n, 10n);
        await journal(tx, 'stray', [[equity, -7n], [pending, 7n]]);
      });
      return ['lightning: its pending account holds 1017, its pending payments reserve 1010'];
    },
  },
  {
    rule: 'every pending outgoing payment is on a known rail',
    name: 'a pending payment, reserved, on a rail with no rails row',
    async seed() {
      let id = '';
      await seed(async (tx) => {
        const account = await holder(tx);
        await journal(tx, 'fund', [[equity, -1010n], [account, 1010n]]);
        id = await payment(tx, { account, direction: 'outgoing', status: 'pending', amount: 1000n, reserve: 10n, rail: 'nosuchrail' });
        // Its reserve kept outside every rail's pending account, so that only this rule fires.
        await journal(tx, `pay:${id}:reserve`, [[account, -1010n], [equity, 1010n]]);
      });
      return [`payment ${id} (rail nosuchrail)`];
    },
  },
];

describe('ledger check on a broken database', () => {
  it('has a case for every rule, and a fresh database breaks none', async () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(Object.keys(rules)));
    expect(await check(db.sql, rules)).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.rule}: ${c.name}`, async () => {
      const details = await c.seed();
      const found = await findings();
      expect(Object.keys(found).sort()).toEqual([c.rule, ...(c.also ?? [])].sort());
      expect(found[c.rule]!.sort()).toEqual(details.sort());
    });
  }
});
