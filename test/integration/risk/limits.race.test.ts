// The 24-hour limit under a race between processes: 50 payments from one account, fired at
// once by five processes of their own (test/support/race-child.ts: own pools and group
// committers), against a limit that fits 20. The database alone decides, so the sum paid can
// never pass the limit, and exactly what fits is paid.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, ledgerRules } from '../../../core/ledger/check.ts';
import { paymentRules } from '../../../core/payments/check.ts';
import { fakeRoutingFeeMsat } from '../../../workers/lightning/fake.ts';
import type { RaceItem, RaceJob } from '../../support/race-child.ts';
import { race } from '../../support/race.ts';
import { newKey, startTestWallet, type TestWallet } from '../../support/wallet.ts';

const AMOUNT = 1_000_000n;
const LIMIT = 20n * AMOUNT + AMOUNT / 2n;
const levels = JSON.stringify({ 0: { daily: { 'lightning:outgoing': LIMIT.toString(), 'internal:outgoing': LIMIT.toString() } } });

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet({ RISK_LEVELS: levels }); });
afterAll(async () => w?.close());


const raceFlat = async (jobs: RaceJob[]) => (await race(jobs)).flat();

const env = () => ({
  DATABASE_URL: w.ctx.config.DATABASE_URL, REDIS_URL: w.ctx.config.REDIS_URL, REDIS_PREFIX: w.ctx.config.REDIS_PREFIX,
  MASTER_KEY: w.ctx.config.MASTER_KEY!, NETWORK: w.ctx.config.NETWORK, RISK_LEVELS: levels,
});

const split = (items: RaceItem[], n: number) => Array.from({ length: n }, (_, i) => ({ env: env(), items: items.filter((_, j) => j % n === i) }));

async function outgoingSum(accountId: string, rail: string): Promise<bigint> {
  const [r] = await w.ctx.sql<{ sum: bigint }[]>`select coalesce(sum(amount_msat), 0)::int8 as sum from transactions
    where account_id = ${accountId} and direction = 'outgoing' and status in ('pending', 'succeeded') and coalesce(rail, 'internal') = ${rail}`;
  return r!.sum;
}

it('50 Lightning payments from five processes at once: what fits the 24 h limit is paid, never more', async () => {
  const a = await w.user(100n * AMOUNT);
  const items: RaceItem[] = await Promise.all(Array.from({ length: 50 }, async () => ({
    kind: 'pay' as const, accountId: a, paymentRequest: await w.externalInvoice(AMOUNT), maxFeeMsat: fakeRoutingFeeMsat(AMOUNT).toString(), key: newKey(),
  })));
  const outcomes = await raceFlat(split(items, 5));
  expect(outcomes).toHaveLength(50);
  const paid = outcomes.filter((o) => 'status' in o && o.status === 'succeeded');
  expect(outcomes.filter((o) => !paid.includes(o))).toEqual(Array(30).fill(expect.objectContaining({ error: 'limit_exceeded' })));
  expect(paid).toHaveLength(20);
  expect(await outgoingSum(a, 'lightning')).toBe(20n * AMOUNT);
});

it('50 transfers from five processes at once: the same on the internal rail', async () => {
  const a = await w.user(100n * AMOUNT);
  const b = await w.user();
  const items: RaceItem[] = Array.from({ length: 50 }, () => ({ kind: 'transfer', accountId: a, to: b, amountMsat: AMOUNT.toString(), key: newKey() }));
  const outcomes = await raceFlat(split(items, 5));
  expect(outcomes.filter((o) => 'status' in o && o.status === 'succeeded')).toHaveLength(20);
  expect(outcomes.filter((o) => 'error' in o).map((o) => (o as { error: string }).error)).toEqual(Array(30).fill('limit_exceeded'));
  expect(await outgoingSum(a, 'internal')).toBe(20n * AMOUNT);
  expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
});
