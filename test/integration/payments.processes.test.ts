// Races between processes: each racer is a process of its own (test/support/race-child.ts, its
// own pool and group committers), so the database alone decides who gets the money. In one
// process the engine's group commit serialises reserves (one batch in flight) and these races
// would prove nothing about the locks.
import { randomBytes } from 'node:crypto';
import { npubEncode } from 'nostr-tools/nip19';
import { getPublicKey, generateSecretKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usedBudget } from '../../bots/nwc/budget.ts';
import { createConnection } from '../../bots/nwc/connections.ts';
import { batchRequest, submitBatch } from '../../core/business/batches.ts';
import { createBusiness, setSigningKey } from '../../core/business/business.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import type { RaceItem, RaceOutcome } from '../support/race-child.ts';
import { race } from '../support/race.ts';
import { fund, newKey, startTestWallet, type TestWallet } from '../support/wallet.ts';

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet(); });
afterAll(async () => w?.close());

// Every spend costs one unit exactly: a payment's fee reserve is the fake node's exact fee, so
// settling releases nothing and the number that fit is the balance over the unit.
const AMOUNT = 1_000_000n;
const UNIT = AMOUNT + fakeRoutingFeeMsat(AMOUNT);

/** Starts one racer per job; resolves once all are ready, then releases them together. */

const env = () => ({
  DATABASE_URL: w.ctx.config.DATABASE_URL, REDIS_URL: w.ctx.config.REDIS_URL, REDIS_PREFIX: w.ctx.config.REDIS_PREFIX,
  MASTER_KEY: w.ctx.config.MASTER_KEY!, NETWORK: w.ctx.config.NETWORK,
});

it('four processes spending one balance, two of them under one wallet-connect budget, at once: exactly what fits, never over budget, each request answered once', async () => {
  const owner = getPublicKey(generateSecretKey());
  const a = (await accounts.forPubkey(w.ctx.sql, owner)).id;
  const b = await w.user();
  await fund(w.ctx.sql, a, 30n * UNIT);
  const { connection } = await createConnection(w.ctx, { user: owner, name: 'racing app', budgetSats: (8n * UNIT) / 1000n });
  const invoice = () => w.externalInvoice(AMOUNT);
  const pay = async (budget?: { connectionId: string; eventId: string }): Promise<RaceItem> =>
    ({ kind: 'pay', accountId: a, paymentRequest: await invoice(), maxFeeMsat: fakeRoutingFeeMsat(AMOUNT).toString(), key: newKey(), budget });
  // The wallet-connect racer's requests are recorded as the service records them before paying.
  const budgeted = await Promise.all(Array.from({ length: 20 }, async () => {
    const eventId = randomBytes(32).toString('hex');
    await w.ctx.sql`insert into nwc_requests (event_id, connection_id, method, author, encryption, instance)
      values (${eventId}, ${connection.id}, 'pay_invoice', ${'ab'.repeat(32)}, 'nip44_v2', 'racer')`;
    return pay({ connectionId: connection.id, eventId });
  }));
  const plain = await Promise.all(Array.from({ length: 20 }, () => pay()));
  const transfers: RaceItem[] = Array.from({ length: 20 }, () => ({ kind: 'transfer', accountId: a, to: b, amountMsat: UNIT.toString(), key: newKey() }));

  // The budgeted requests split over two processes: the connection's lock, not one process's
  // batching, must keep them within the budget.
  const [byPlain, byTransfers, byBudgetedA, byBudgetedB] = await race([plain, transfers, budgeted.slice(0, 10), budgeted.slice(10)].map((items) => ({ env: env(), items })));
  const byBudgeted = [...byBudgetedA!, ...byBudgetedB!];
  const all = [...byPlain!, ...byTransfers!, ...byBudgeted];
  const ok = (outcomes: RaceOutcome[]) => outcomes.filter((o) => 'status' in o && o.status === 'succeeded').length;

  // Each request answered once, as succeeded or with the reason it could not be.
  expect(all.map((o) => o.key).sort()).toEqual([...plain, ...transfers, ...budgeted].map((i) => i.key).sort());
  for (const o of byPlain!.concat(byTransfers!)) if (!('status' in o && o.status === 'succeeded')) expect(o).toEqual({ key: o.key, error: 'insufficient_balance' });
  for (const o of byBudgeted) if (!('status' in o && o.status === 'succeeded')) expect(['insufficient_balance', 'QUOTA_EXCEEDED']).toContain((o as { error: string }).error);
  // Exactly what the balance covers went, none of it twice; the budget held.
  expect(ok(all)).toBe(30);
  expect(ok(byBudgeted)).toBeLessThanOrEqual(8);
  expect(await balance(w.ctx.sql, a)).toBe(0n);
  expect(await balance(w.ctx.sql, b)).toBe(BigInt(ok(byTransfers!)) * UNIT);
  expect(await usedBudget(w.ctx.sql, connection.id, undefined)).toBe(BigInt(ok(byBudgeted)) * UNIT);
  const [{ rows }] = await w.ctx.sql<[{ rows: number }]>`select count(*)::int as rows from transactions where account_id = ${a} and status = 'succeeded'`;
  expect(rows).toBe(30);
  expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
}, 120_000);

it('two business batches, one of them run by two processes at once, and transfers, from one business balance: each line paid at most once, exactly what fits', async () => {
  const business = await createBusiness(w.ctx, { pubkey: getPublicKey(generateSecretKey()), name: 'Racing shop' });
  await setSigningKey(w.ctx, business.accountId, generateSecretKey());
  // Internal zaps cost no fee: each line and each transfer is one unit of AMOUNT.
  await fund(w.ctx.sql, business.accountId, 30n * AMOUNT);
  const customers = await Promise.all(Array.from({ length: 20 }, async () => {
    const pk = getPublicKey(generateSecretKey());
    return { pk, id: (await accounts.forPubkey(w.ctx.sql, pk)).id };
  }));
  const submit = (name: string) => submitBatch(w.ctx, { ...business, hasSigningKey: true }, batchRequest(1000).parse({
    idempotencyKey: name, amountMsat: AMOUNT.toString(), recipients: customers.map((c) => npubEncode(c.pk)),
  }));
  const [a, b] = [await submit('rewards-a'), await submit('rewards-b')];
  const b2 = await w.user();
  const transfers: RaceItem[] = Array.from({ length: 20 }, () => ({ kind: 'transfer', accountId: business.accountId, to: b2, amountMsat: AMOUNT.toString(), key: newKey() }));

  const [byA1, byA2, byB, byTransfers] = await race([
    [{ kind: 'batch', batchId: a.id, key: 'a1' }], [{ kind: 'batch', batchId: a.id, key: 'a2' }],
    [{ kind: 'batch', batchId: b.id, key: 'b' }], transfers,
  ].map((items) => ({ env: env(), items: items as RaceItem[] })));
  for (const o of [...byA1!, ...byA2!, ...byB!]) expect(o).toEqual({ key: o.key, status: expect.stringMatching(/^paid \d+, failed \d+, pending 0$/) });
  for (const o of byTransfers!) if (!('status' in o && o.status === 'succeeded')) expect(o).toEqual({ key: o.key, error: 'insufficient_balance' });

  // Every line's outcome matches its payment: paid lines have exactly one succeeded payment,
  // failed ones none, whichever of the two runs of batch A wrote it.
  const lines = await w.ctx.sql<{ batch_id: string; status: string; payments: number }[]>`
    select l.batch_id, l.status, (select count(*)::int from transactions t where t.account_id = ${business.accountId}
      and t.idempotency_key = 'batch:' || l.batch_id || ':' || l.idempotency_key and t.status = 'succeeded') as payments
    from zap_batch_lines l where l.batch_id = any(${[a.id, b.id]}::uuid[])`;
  expect(lines).toHaveLength(40);
  for (const l of lines) expect([l.status, l.payments]).toEqual(l.status === 'paid' ? ['paid', 1] : ['failed', 0]);
  const paidLines = lines.filter((l) => l.status === 'paid').length;
  const transferred = byTransfers!.filter((o) => 'status' in o && o.status === 'succeeded').length;
  expect(paidLines + transferred).toBe(30);
  expect(await balance(w.ctx.sql, business.accountId)).toBe(0n);
  expect(await balance(w.ctx.sql, b2)).toBe(BigInt(transferred) * AMOUNT);
  let received = 0n;
  for (const c of customers) received += await balance(w.ctx.sql, c.id);
  expect(received).toBe(BigInt(paidLines) * AMOUNT);
  expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
}, 120_000);
