// Ledger and payment throughput. Prints JSON:
//   journals/s      internal transfers as bare ledger journals (one round trip each)
//   transfers/s     internal transfers through the payment engine (rows, journal, outbox events)
//   lightning/s     outgoing Lightning payments through the `lightning` queue on the fake backend
//                   (reserve → job → fake node → settle), workers in this process
// and whether `ledger check` is clean afterwards.
//
//   node bench/ledger/run.ts [--database-url URL] [--redis-url URL] [--seconds 10]
//     [--concurrency 128] [--accounts 200] [--payments 3000] [--only journals,transfers,lightning]
//     [--pool N (PostgreSQL connections; default DATABASE_POOL, as the service)]
//     [--cpu-of 'postgres: 15/main: postgres flash_bench,redis-server']
// Each figure also reports the CPU milliseconds per operation (`cpuMs`) of this process and of
// the processes named by --cpu-of (substrings of their command lines; by default the bench
// database's PostgreSQL backends and Redis): steadier than throughput on a shared machine.
// --concurrency is the number of callers at once (128: with 64, batches of group-committed
// writes stay small and a third of the two cores idles, so the figure is latency-bound rather
// than the throughput); the workers run with the service's own LIGHTNING_CONCURRENCY (default
// 50), as `flash start` would.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { cpuNow, cpuPerOp } from '../cpu.ts';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext, type Context } from '../../core/context.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { unlinkMatching } from '../../core/redis.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { EXTERNAL_FAKE_NODE, OUR_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode, fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { lightningWorkers } from '../../workers/lightning/module.ts';
import { startWorkers } from '../../workers/role.ts';

const { values: o } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/flash_bench' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '128' },
    accounts: { type: 'string', default: '200' },
    payments: { type: 'string', default: '3000' },
    only: { type: 'string', default: 'journals,transfers,lightning' },
    pool: { type: 'string' },
    'cpu-of': { type: 'string' },
  },
});
const seconds = Number(o.seconds);
const concurrency = Number(o.concurrency);
const only = new Set(o.only.split(','));
const key = () => randomBytes(12).toString('hex');
const database = new URL(o['database-url']).pathname.slice(1);
const cpuOf = (o['cpu-of'] ?? `postgres: 15/main: postgres ${database} ,redis-server`).split(',').filter(Boolean);

/** Runs `op` from `concurrency` loops for `seconds`; returns operations per second. */
async function measure(op: () => Promise<unknown>): Promise<{ ops: number; perSecond: number; errors: number; cpuMs: Record<string, number> }> {
  const until = performance.now() + seconds * 1000;
  let ops = 0;
  let errors = 0;
  const cpu = cpuNow(cpuOf);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      try {
        await op();
        ops++;
      } catch {
        errors++;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { ops, perSecond: Math.round(ops / elapsed), errors, cpuMs: cpuPerOp(cpu, cpuNow(cpuOf), ops) };
}

async function holders(ctx: Context, n: number, eachMsat: bigint): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = (await accounts.forPubkey(ctx.sql, randomBytes(32).toString('hex'))).id;
    await post(ctx.sql, { idempotencyKey: key(), kind: 'bench.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -eachMsat }, { accountId: id, amountMsat: eachMsat }] });
    ids.push(id);
  }
  return ids;
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
function pair(ids: string[]): [string, string] {
  const a = pick(ids);
  let b = pick(ids);
  while (b === a) b = pick(ids);
  return [a, b];
}

const config = parseConfig({
  ...process.env, DATABASE_URL: o['database-url'], REDIS_URL: o['redis-url'], REDIS_PREFIX: `flash_bench_${randomBytes(4).toString('hex')}`,
  ...(o.pool && { DATABASE_POOL: o.pool }), LOG_LEVEL: 'warn', NETWORK: 'regtest',
  MASTER_KEY: process.env.MASTER_KEY ?? '22'.repeat(32),
  // Each run's prefix is new, which looks like a Redis that lost its data: without this the
  // workers would publish the earlier runs' recent events again while being measured.
  EVENT_REPLAY_SECONDS: '0',
  // The risk limits and anomaly rules stay on (their checks are part of each payment's cost),
  // with thresholds the bench's busy, well-funded accounts stay under.
  RISK_LEVELS: process.env.RISK_LEVELS ?? JSON.stringify({ 0: { maxPaymentMsat: '1000000000000', maxBalanceMsat: '100000000000000000', daily: { '*:outgoing': '100000000000000000' } } }),
  RISK_RULES: process.env.RISK_RULES ?? JSON.stringify([
    { name: 'velocity', kind: 'velocity', minutes: 10, count: 1e9, action: 'alert' },
    { name: 'destinations', kind: 'destinations', minutes: 60, count: 1e9, action: 'alert' },
    { name: 'failures', kind: 'failures', minutes: 10, count: 1e9, action: 'alert' },
    { name: 'drain', kind: 'drain', minutes: 60, share: 1, accountAgeHours: 0, action: 'alert' },
    { name: 'outsized', kind: 'outsized', factor: 1e9, history: 5, action: 'alert' },
  ]),
});
const ctx = await createContext(config, { log: createLogger({ level: 'warn', pretty: false }) });
const report: Record<string, unknown> = { seconds, concurrency, accounts: Number(o.accounts), node: process.version };
try {
  const ids = await holders(ctx, Number(o.accounts), 10n ** 12n);
  if (only.has('journals')) {
    report.journals = await measure(() => {
      const [a, b] = pair(ids);
      return post(ctx.sql, { idempotencyKey: key(), kind: 'bench.transfer', postings: [{ accountId: a, amountMsat: -1000n }, { accountId: b, amountMsat: 1000n }] });
    });
  }
  if (only.has('transfers')) {
    report.transfers = await measure(() => {
      const [a, b] = pair(ids);
      return transfer(ctx, { fromAccountId: a, toAccountId: b, amountMsat: 1000n, idempotencyKey: key() });
    });
  }
  if (only.has('lightning')) {
    const node = await FakeLightningNode.open(ctx, OUR_FAKE_NODE);
    const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
    const workers = await startWorkers(ctx, [lightningWorkers(node)]);
    const n = Number(o.payments);
    const invoices = await Promise.all(Array.from({ length: n }, () => external.createInvoice({ amountMsat: 10_000n, description: 'bench', expirySeconds: 3600 })));
    let next = 0;
    let succeeded = 0;
    const cpu = cpuNow(cpuOf);
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const inv = invoices[next++]!;
        const r = await payInvoice(ctx, { accountId: pick(ids), paymentRequest: inv.paymentRequest, maxFeeMsat: fakeRoutingFeeMsat(10_000n), idempotencyKey: key(), waitMs: 60_000 });
        if (r.status === 'succeeded') succeeded++;
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    report.lightning = { payments: n, succeeded, perSecond: Math.round(n / elapsed), cpuMs: cpuPerOp(cpu, cpuNow(cpuOf), n) };
    await workers.stop();
    await external.close();
  }
  const violations = await check(ctx.sql, { ...ledgerRules, ...paymentRules });
  report.ledgerCheck = violations.length ? violations : 'clean';
} finally {
  await unlinkMatching(ctx.redis, `${config.REDIS_PREFIX}:*`);
  await closeContext(ctx);
}
console.log(JSON.stringify(report, null, 2));
