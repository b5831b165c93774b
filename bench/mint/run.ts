// The Cashu mint's speed. Prints JSON:
//   curve          CPU of the curve arithmetic alone for one 8-in/8-out swap (verify 8 proofs,
//                  sign 8 outputs with DLEQ), no I/O: how much of a swap is curve maths
//   swap           swaps/s with 8 inputs and 8 outputs (DLEQ included) over HTTP from
//                  --concurrency loops, each spending the outputs of its previous swap; p50/p99
//   swapOne        p50 of one swap at a time (a lone client)
//   mint, melt     p50 of a whole mint round trip (quote → invoice paid from the fake node's
//                  outside peer → PAID → signatures) and of a melt (quote → melt → PAID), one at a time
// with CPU milliseconds per operation of this process (server and client) and of PostgreSQL.
//
//   node bench/mint/run.ts [--database-url URL] [--redis-url URL] [--seconds 10] [--concurrency 16]
//     [--rounds 20] [--cpu-of 'postgres: 15/main: postgres flash_bench_mint,redis-server']
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { cpuNow, cpuPerOp } from '../cpu.ts';
import { mintRoutes, MINT_PATH } from '../../api/mint/routes.ts';
import { buildApi } from '../../api/server.ts';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { createLogger } from '../../core/log.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { mintRules } from '../../core/mint/check.ts';
import { mintKeys } from '../../core/mint/keys.ts';
import { blindMessage, CURVE_ORDER, pointFromHex, pointHex, unblind } from '../../core/mint/nut00.ts';
import { signOutputs, verifyInputs } from '../../core/mint/verify.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { EXTERNAL_FAKE_NODE, OUR_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { lightningWorkers } from '../../workers/lightning/module.ts';
import { mintWorkers } from '../../workers/mint/module.ts';
import { startWorkers } from '../../workers/role.ts';

const { values: o } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/flash_bench_mint' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '20' },
    'cpu-of': { type: 'string' },
  },
});
const seconds = Number(o.seconds);
const concurrency = Number(o.concurrency);
const database = new URL(o['database-url']).pathname.slice(1);
const cpuOf = (o['cpu-of'] ?? `postgres: 15/main: postgres ${database} ,redis-server`).split(',').filter(Boolean);
const IN = 8;

const config = parseConfig({
  ...process.env, DATABASE_URL: o['database-url'], REDIS_URL: o['redis-url'], REDIS_PREFIX: `flash_bench_${randomBytes(4).toString('hex')}`,
  LOG_LEVEL: 'warn', NETWORK: 'regtest', MASTER_KEY: process.env.MASTER_KEY ?? '22'.repeat(32), EVENT_REPLAY_SECONDS: '0',
  API_RATE_LIMIT: '100000000', MINT_INPUT_FEE_PPK: '0',
});
const ctx = await createContext(config, { log: createLogger({ level: 'warn', pretty: false }) });
const node = await FakeLightningNode.open(ctx, OUR_FAKE_NODE);
const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
const workers = await startWorkers(ctx, [lightningWorkers(node), mintWorkers()]);
const api = await buildApi(ctx, [mintRoutes]);
await api.listen({ host: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}${MINT_PATH}`;

interface Proof { amount: number; id: string; secret: string; C: string }
const keys = await mintKeys(ctx);
const keyset = keys.active();
const K1 = keyset.publicKey(1n)!;

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json() as T & { code?: number; detail?: string };
  if (!res.ok) throw new Error(`${path}: ${json.code} ${json.detail}`);
  return json;
}

/** n outputs of 1 sat: what to send, and how to unblind what comes back. */
function outputs(n: number) {
  const made = Array.from({ length: n }, () => {
    const secret = randomBytes(32).toString('hex');
    const r = BigInt(`0x${randomBytes(32).toString('hex')}`) % (CURVE_ORDER - 1n) + 1n;
    return { secret, r, B_: pointHex(blindMessage(new TextEncoder().encode(secret), r)) };
  });
  return {
    messages: made.map((m) => ({ amount: 1, id: keyset.id, B_: m.B_ })),
    proofs: (sigs: Array<{ C_: string }>): Proof[] => sigs.map((s, i) => ({ amount: 1, id: keyset.id, secret: made[i]!.secret, C: pointHex(unblind(pointFromHex(s.C_), made[i]!.r, K1)) })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p = (xs: number[], q: number) => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]! * 100) / 100;

/** A whole mint round trip of `n` one-sat outputs; returns the proofs. */
async function mintRound(n: number): Promise<Proof[]> {
  const q = await post<{ quote: string; request: string }>('/v1/mint/quote/bolt11', { amount: n, unit: 'sat' });
  await external.payInvoice({ paymentRequest: q.request, maxFeeMsat: 10_000_000n, timeoutSeconds: 30 });
  for (;;) {
    const s = await (await fetch(`${url}/v1/mint/quote/bolt11/${q.quote}`)).json() as { state: string };
    if (s.state === 'PAID') break;
    await sleep(5);
  }
  const out = outputs(n);
  return out.proofs((await post<{ signatures: Array<{ C_: string }> }>('/v1/mint/bolt11', { quote: q.quote, outputs: out.messages })).signatures);
}

async function swap(inputs: Proof[]): Promise<Proof[]> {
  const out = outputs(inputs.length);
  return out.proofs((await post<{ signatures: Array<{ C_: string }> }>('/v1/swap', { inputs, outputs: out.messages })).signatures);
}

const report: Record<string, unknown> = { seconds, concurrency, node: process.version, inputs: IN, outputs: IN };
try {
  // Curve arithmetic alone: the server's verify + sign of one swap, in a loop.
  const sample = await mintRound(IN);
  const out = outputs(IN);
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    verifyInputs(ctx.config, keys, sample, out.messages);
    signOutputs(keys, out.messages);
  }
  report.curve = { msPerSwap: Math.round((performance.now() - t0) / n * 100) / 100 };

  // Every loop gets its own 8 proofs, then swaps them on and on.
  const wallets = await Promise.all(Array.from({ length: concurrency }, () => mintRound(IN)));
  const lone: number[] = [];
  for (let i = 0; i < 50; i++) {
    const s = performance.now();
    wallets[0] = await swap(wallets[0]!);
    lone.push(performance.now() - s);
  }
  report.swapOne = { p50Ms: p(lone, 0.5), p99Ms: p(lone, 0.99) };

  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const cpu = cpuNow(cpuOf);
  const started = performance.now();
  await Promise.all(wallets.map(async (_, w) => {
    while (performance.now() < until) {
      const s = performance.now();
      try {
        wallets[w] = await swap(wallets[w]!);
        latencies.push(performance.now() - s);
      } catch {
        errors++;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  report.swap = { swaps: latencies.length, perSecond: Math.round(latencies.length / elapsed), p50Ms: p(latencies, 0.5), p99Ms: p(latencies, 0.99), errors, cpuMs: cpuPerOp(cpu, cpuNow(cpuOf), latencies.length) };

  const mints: number[] = [];
  for (let i = 0; i < Number(o.rounds); i++) {
    const s = performance.now();
    await mintRound(8);
    mints.push(performance.now() - s);
  }
  report.mint = { rounds: mints.length, p50Ms: p(mints, 0.5) };

  const melts: number[] = [];
  for (let i = 0; i < Number(o.rounds); i++) {
    const proofs = await mintRound(24);
    const invoice = (await external.createInvoice({ amountMsat: 10_000n, description: 'bench', expirySeconds: 600 })).paymentRequest;
    const s = performance.now();
    const q = await post<{ quote: string }>('/v1/melt/quote/bolt11', { request: invoice, unit: 'sat' });
    const r = await post<{ state: string }>('/v1/melt/bolt11', { quote: q.quote, inputs: proofs, outputs: outputs(4).messages.map((m) => ({ ...m, amount: 0 })) });
    if (r.state !== 'PAID') throw new Error(`melt ${r.state}`);
    melts.push(performance.now() - s);
  }
  report.melt = { rounds: melts.length, p50Ms: p(melts, 0.5) };
  const violations = await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules });
  report.ledgerCheck = violations.length ? violations.slice(0, 5) : 'clean';
} finally {
  await api.close();
  await workers.stop();
  await external.close();
  await closeContext(ctx);
}
console.log(JSON.stringify(report, null, 2));
