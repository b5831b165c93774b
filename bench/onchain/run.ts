// On-chain figures, against the embedded regtest node over Bitcoin Core's RPC (the production
// adapter, in this process). Prints JSON:
//   addressesPerSecond   deposit addresses issued (derived from the hot wallet's public
//                        descriptor, recorded in the address index), one request each
//   creditBlockMs        one scan that credits a block paying 5,000 of our addresses
//                        (listsinceblock, then every deposit, journal, event and the cursor;
//                        listSinceBlockMs: the node's answer alone)
//   batchMs              one batch of 1,000 withdrawals built, signed, recorded and broadcast
// and whether `ledger check` is clean afterwards.
//
//   node bench/onchain/run.ts [--database-url URL] [--redis-url URL] [--addresses 5000]
//     [--outputs 5000] [--payouts 1000] [--concurrency 64]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { connect } from '../../core/db.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { createLogger } from '../../core/log.ts';
import { unlinkMatching } from '../../core/redis.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { onchainRules } from '../../core/onchain/check.ts';
import { networks, satToBtc } from '../../core/onchain/network.ts';
import { withdraw } from '../../core/onchain/withdraw.ts';
import { BitcoindChain } from '../../workers/onchain/bitcoind.ts';
import { runPayoutQueue } from '../../workers/onchain/payouts.ts';
import { RegtestNode } from '../../workers/onchain/regtest/node.ts';
import { startRpcServer } from '../../workers/onchain/regtest/rpc-server.ts';
import { recordFeeRates, scanDeposits } from '../../workers/onchain/scanner.ts';
import { refillRange, setUpWallet } from '../../workers/onchain/setup.ts';

const { values: o } = parseArgs({
  options: {
    // A database of its own each run (created, then dropped): the hot wallet is new each run too.
    'database-url': { type: 'string', default: `postgres://postgres@127.0.0.1:5432/flash_bench_onchain_${randomBytes(4).toString('hex')}` },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    addresses: { type: 'string', default: '5000' },
    outputs: { type: 'string', default: '5000' },
    payouts: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
  },
});

const config = parseConfig({
  ...process.env, DATABASE_URL: o['database-url'], REDIS_URL: o['redis-url'], REDIS_PREFIX: `flash_bench_${randomBytes(4).toString('hex')}`,
  ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_USER: 'bench', BITCOIND_RPC_PASSWORD: 'bench', ONCHAIN_BATCH_MAX: '5000', PAYMENT_MAX_MSAT: '10000000000000',
});
const ctx = await createContext(config, { log: createLogger({ level: 'warn', pretty: false }) });
const node = new RegtestNode(networks.regtest);
const server = await startRpcServer(node, { user: 'bench', password: 'bench' });
const chain = new BitcoindChain({ url: server.url, user: 'bench', password: 'bench', wallet: 'flash', coldWallet: 'flash-cold' });
const outside = new BitcoindChain({ url: server.url, user: 'bench', password: 'bench', wallet: 'outside', coldWallet: 'none' });
await outside.openWallet();
await outside.call('node', 'generatetoaddress', 110, await outside.newAddress('hot'));
await setUpWallet(ctx, chain);
await recordFeeRates(ctx, chain);
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;

// 1. Addresses issued one request at a time, `concurrency` at once.
const nAddresses = Number(o.addresses);
const owner = (await accounts.forPubkey(ctx.sql, randomBytes(32).toString('hex'))).id;
let next = 0;
let t = performance.now();
await Promise.all(Array.from({ length: Number(o.concurrency) }, async () => {
  while (next++ < nAddresses) await issueAddresses(ctx, owner, 1);
}));
const addressesPerSecond = Math.round(nAddresses / (ms(t) / 1000));

// 2. One block paying `outputs` of our addresses (one transaction of the outside wallet), then one scan.
const nOutputs = Number(o.outputs);
const receivers = await Promise.all(Array.from({ length: 50 }, async () => (await accounts.forPubkey(ctx.sql, randomBytes(32).toString('hex'))).id));
const issued = (await Promise.all(receivers.map((a) => issueAddresses(ctx, a, nOutputs / receivers.length)))).flat();
await refillRange(ctx, chain);
await scanDeposits(ctx, chain);
const funded = await outside.call('hot', 'walletcreatefundedpsbt', [], issued.map((a) => ({ [a.address]: satToBtc(100_000n) })), 0, { fee_rate: 2 }) as { psbt: string };
const signed = await outside.signPsbt(funded.psbt);
await outside.broadcast(signed.hex!);
await outside.call('node', 'generatetoaddress', 1, await outside.newAddress('hot'));
// The node's part alone (the same call the scan makes first), to tell it from ours.
const [{ block_hash: cursor }] = await ctx.sql<[{ block_hash: string }]>`select block_hash from onchain_cursors where wallet = 'hot'`;
t = performance.now();
await chain.listSinceBlock('hot', cursor, config.ONCHAIN_CONFIRMATIONS);
const listSinceBlockMs = ms(t);
t = performance.now();
const scan = await scanDeposits(ctx, chain);
const creditBlockMs = ms(t);

// 3. A batch of `payouts` withdrawals (reserved beforehand), built, signed, recorded and broadcast.
const nPayouts = Number(o.payouts);
const payer = receivers[0]!;
const to = await Promise.all(Array.from({ length: nPayouts }, () => outside.newAddress('hot')));
for (let i = 0; i < nPayouts; i += 100) {
  await Promise.all(to.slice(i, i + 100).map((address, j) => withdraw(ctx, { accountId: payer, address, amountSat: 1000n, idempotencyKey: `bench-${i + j}` })));
}
t = performance.now();
const batches = await runPayoutQueue(ctx, chain, { force: true });
const batchMs = ms(t);
const [{ n }] = await ctx.sql<[{ n: number }]>`select count(*)::int as n from onchain_batch_payouts`;

const violations = await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...onchainRules });
console.log(JSON.stringify({
  addresses: nAddresses, addressesPerSecond,
  outputs: nOutputs, credited: scan.credited, creditBlockMs, listSinceBlockMs,
  payouts: nPayouts, batches: batches.length, batched: n, batchMs,
  ledgerCheck: violations.length ? violations.slice(0, 3) : 'clean',
}, null, 2));
await unlinkMatching(ctx.redis, `${config.REDIS_PREFIX}:*`).catch(() => {});
await server.close();
await closeContext(ctx);
const url = new URL(config.DATABASE_URL);
const name = url.pathname.slice(1);
if (name.startsWith('flash_bench_onchain_')) {
  url.pathname = '/postgres';
  const admin = connect(url.toString(), { max: 1 });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
