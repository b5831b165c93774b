// pay_invoice round trip through the whole service: app → relay → NWC service → lightning
// queue → workers → fake node → back. Measures latency one at a time, then sustained
// payments/s with N connections each paying back to back. Prints JSON.
//
// The apps are bench-only lean clients by default (lean-client.ts: native signatures, one
// answer subscription per app), since real apps run on other devices and the client's CPU
// would otherwise compete with the service's; `--client alby` uses @getalby/sdk's NWCClient
// (pure-JS crypto, a REQ per request) instead.
//
// Against a running service on the same DATABASE_URL/REDIS_URL/REDIS_PREFIX/MASTER_KEY (the
// script makes its connections, funds them from the operator's equity and takes invoices from
// the fake outside node, so LIGHTNING_BACKEND=fake); run the service with NWC_RATE_PER_MINUTE=0
// and RELAY_RATE_EXEMPT_IPS=127.0.0.1 (every app shares this machine's address).
// Usage: node bench/nwc/pay.ts --relay ws://127.0.0.1:7777 [--client lean|alby] [--connections 20] [--seconds 10] [--sequential 100]
//   [--cpu-of 'flash.ts start,postgres: 15/main: postgres flash,redis-server']
// `--cpu-of` names processes (substrings of their command lines, Linux /proc) whose CPU time per
// sustained payment is reported beside this process's own (`cpuMsPerPayment`): on a shared
// machine payments/s swing with the other load, the CPU a payment costs much less.
import { randomUUID } from 'node:crypto';
import { NWCClient } from '@getalby/sdk/nwc';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { createConnection } from '../../bots/nwc/connections.ts';
import { loadConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { EXTERNAL_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { cpuNow, cpuPerOp } from '../cpu.ts';
import { options, percentiles, print } from '../relay/common.ts';
import { LeanNwcApp } from './lean-client.ts';

const o = options({
  relay: { type: 'string', default: 'ws://127.0.0.1:7777' },
  connections: { type: 'string', default: '20' },
  seconds: { type: 'string', default: '10' },
  sequential: { type: 'string', default: '100' },
  rate: { type: 'string', default: '400' },
  client: { type: 'string', default: 'lean' },
  'cpu-of': { type: 'string', default: '' },
});
if (o.client !== 'lean' && o.client !== 'alby') throw new Error('--client is lean or alby');
const connections = Number(o.connections);
const seconds = Number(o.seconds);
const sequential = Number(o.sequential);
const AMOUNT = 1000n;

const ctx = await createContext({ ...loadConfig(), NOSTR_RELAYS: [o.relay!] }, { log: createLogger({ level: 'warn' }) });
const outside = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);

// Invoices are made before the clock starts: enough for the run at --rate payments/s.
const needed = sequential + Math.ceil(Number(o.rate) * seconds) + connections;
const invoices: string[] = [];
for (let i = 0; i < needed; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, needed - i) }, () =>
    outside.createInvoice({ amountMsat: AMOUNT, description: 'bench', expirySeconds: 3600 })));
  invoices.push(...batch.map((inv) => inv.paymentRequest));
}

const failures = new Map<string, number>();
function failed(stage: string, err: unknown): void {
  const key = `${stage} ${(err as { code?: string }).code ?? String(err)}`;
  failures.set(key, (failures.get(key) ?? 0) + 1);
}

interface App { payInvoice(invoice: string): Promise<unknown>; close(): void }

async function app(): Promise<App> {
  const { connection, uri } = await createConnection(ctx, { user: getPublicKey(generateSecretKey()), name: 'bench', scopes: ['pay_invoice', 'get_balance'] });
  await post(ctx.sql, {
    idempotencyKey: `bench:${randomUUID()}`, kind: 'bench.fund',
    postings: [{ accountId: systemAccounts.equity, amountMsat: -1_000_000_000n }, { accountId: connection.walletAccountId, amountMsat: 1_000_000_000n }],
  });
  if (o.client === 'lean') {
    const lean = await LeanNwcApp.open(uri, o.relay);
    // The service has the connection once this is answered: outside the timing.
    await lean.request('get_balance', {}).catch((err: unknown) => failed('setup', err));
    return lean;
  }
  const client = new NWCClient({ nostrWalletConnectUrl: uri });
  await client.getBalance(); // info event, encryption choice, relay connection: outside the timing
  return { payInvoice: (invoice) => client.payInvoice({ invoice }), close: () => client.close() };
}

const clients = await Promise.all(Array.from({ length: connections }, () => app()));
let next = 0;

async function pay(client: App): Promise<number | undefined> {
  const invoice = invoices[next++];
  if (!invoice) return undefined;
  const t0 = performance.now();
  try {
    await client.payInvoice(invoice);
    return performance.now() - t0;
  } catch (err) {
    failed('pay', err);
    return undefined;
  }
}

// 1. One at a time: the round trip with nothing else in flight.
const single: number[] = [];
for (let i = 0; i < sequential; i++) {
  const ms = await pay(clients[0]!);
  if (ms !== undefined) single.push(ms);
}

// 2. Sustained: every connection pays back to back for --seconds.
const loaded: number[] = [];
const cpuOf = o['cpu-of']!.split(',').filter(Boolean);
const cpuBefore = cpuNow(cpuOf);
const start = performance.now();
const deadline = start + seconds * 1000;
await Promise.all(clients.map(async (c) => {
  while (performance.now() < deadline && next < invoices.length) {
    const ms = await pay(c);
    if (ms !== undefined) loaded.push(ms);
  }
}));
const elapsed = (performance.now() - start) / 1000;
const cpuMsPerPayment = cpuPerOp(cpuBefore, cpuNow(cpuOf), loaded.length);

for (const c of clients) c.close();
await outside.close();
await closeContext(ctx);
print({
  benchmark: 'nwc pay_invoice round trip',
  relay: o.relay,
  client: o.client,
  sequential: percentiles(single),
  sustained: {
    connections,
    seconds: Math.round(elapsed * 100) / 100,
    payments: loaded.length,
    paymentsPerSecond: Math.round((loaded.length / elapsed) * 10) / 10,
    latencyMs: percentiles(loaded),
    cpuMsPerPayment,
  },
  failures: Object.fromEntries(failures),
  ranOutOfInvoices: next >= invoices.length,
});
process.exit(0);
