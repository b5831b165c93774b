// Withdrawals through the production adapter against the bitcoind stand-in: every bad input
// refused with nothing reserved, an internal transfer to our own address, and 1,000
// withdrawals batched into a few transactions with each payout's exact share of the fee.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as bitcoinjs from 'bitcoinjs-lib';
import { HDKey } from '@scure/bip32';
import { randomBytes } from 'node:crypto';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { Deriver, parseDescriptor } from '../../core/onchain/descriptor.ts';
import { networks } from '../../core/onchain/network.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { onchainRules } from '../../core/onchain/check.ts';
import { withdraw } from '../../core/onchain/withdraw.ts';
import type { RunningRole } from '../../core/role.ts';
import { workersRole } from '../../workers/role.ts';
import { startBitcoindSim, SIM_PASSWORD, SIM_USER, type BitcoindSim } from '../sims/bitcoind/sim.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { newKey, newPubkey } from '../support/wallet.ts';
import type { AddressInfo } from 'node:net';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/server.ts';
import { routeModules } from '../../api/role.ts';
import { createBusiness } from '../../core/business/business.ts';
import { httpAuthHeader } from '../../core/nostr/nip98.ts';

let sim: BitcoindSim;
let ctx: TestContext;
let workers: RunningRole | undefined;

const balanceOf = async (id: string) => (await accounts.get(ctx.sql, id))!.balanceMsat!;
/** An account holding `sat`, paid in by a real deposit (so the hot wallet holds the coins). */
async function funded(sat: bigint, account?: string): Promise<string> {
  const a = account ?? (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  const { address } = (await issueAddresses(ctx, a, 1))[0]!;
  await sim.send(address, sat);
  await sim.mine(1);
  await expect.poll(() => balanceOf(a)).toBe(sat * 1000n);
  return a;
}
/** Addresses of an outside wallet, derived locally (no RPC per address). */
const outside = new Deriver(parseDescriptor(`wpkh(${HDKey.fromMasterSeed(randomBytes(32), networks.regtest.bip32).publicExtendedKey}/0/*)`, networks.regtest));

beforeAll(async () => {
  sim = await startBitcoindSim();
  ctx = await createTestContext({
    ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD,
    ONCHAIN_SCAN_INTERVAL_MS: '100', ONCHAIN_BATCH_INTERVAL_SECONDS: '3600', ONCHAIN_BATCH_THRESHOLD: '1000', ONCHAIN_BATCH_MAX: '400',
    ONCHAIN_ADDRESS_GAP: '100', PAYMENT_MAX_MSAT: '100000000000', PUBLIC_URL: 'https://flash.test',
    // Level 2 has no 24 h limit: the batch test withdraws about 10,000,000 sat from one account.
    RISK_DEFAULT_LEVEL: '2',
  });
  workers = await workersRole(ctx);
  app = await buildApi(ctx, routeModules);
  await app.listen({ host: '127.0.0.1', port: 0 });
});

let app: FastifyInstance | undefined;
const bizKey = generateSecretKey();
let lastSigned = Infinity;
async function api(method: string, path: string, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  // A repeat of a request is a new NIP-98 event (a replayed one is refused): a created_at no
  // earlier call used (now, or a second before the last one).
  lastSigned = Math.min(Math.floor(Date.now() / 1000), lastSigned - 1);
  const authorization = httpAuthHeader(bizKey, { url: `https://flash.test${path}`, method, body: text, createdAt: lastSigned });
  const res = await fetch(`http://127.0.0.1:${(app!.server.address() as AddressInfo).port}${path}`, { method, body: text, headers: { authorization, ...(text && { 'content-type': 'application/json' }) } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

afterAll(async () => {
  await app?.close();
  await workers?.stop();
  await ctx?.close();
  await sim?.close();
});

describe('bad withdrawals', () => {
  it('every bad input is refused with a clear error and nothing reserved', async () => {
    const a = await funded(100_000n);
    const good = outside.derive(0).address;
    const mainnet = bitcoinjs.payments.p2wpkh({ pubkey: Buffer.from(outside.derive(1).pubkeys[0]!), network: bitcoinjs.networks.bitcoin }).address;
    const testnet = bitcoinjs.payments.p2wpkh({ pubkey: Buffer.from(outside.derive(2).pubkeys[0]!), network: bitcoinjs.networks.testnet }).address;
    const badChecksum = good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q');
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ address: badChecksum }, 'invalid_request', /checksum/],
      [{ address: 'not an address' }, 'invalid_request', /not a valid bitcoin address/],
      [{ address: mainnet }, 'wrong_network', /mainnet address; this service runs on regtest/],
      [{ address: testnet }, 'wrong_network', /testnet\/signet address/],
      [{ address: 'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297' }, 'wrong_network', /mainnet/],
      [{ amountSat: 200n }, 'amount_out_of_range', /smallest withdrawal/],
      [{ amountSat: 999n }, 'amount_out_of_range', /smallest withdrawal to this address is 1000 sat/],
      [{ amountSat: 0n }, 'amount_out_of_range', /smallest/],
      [{ amountSat: 100_000_001n }, 'amount_out_of_range', /between 1 and/],
      [{ amountSat: 5000 }, 'invalid_request', /amountSat/],
      [{ speed: 'ludicrous' }, 'invalid_request', /speed/],
      [{ amountSat: 99_900n }, 'insufficient_balance', /insufficient balance/],
    ];
    for (const [override, code, message] of cases) {
      const req = { accountId: a, address: good, amountSat: 10_000n, idempotencyKey: newKey(), ...override };
      await expect(withdraw(ctx, req as never), JSON.stringify(override, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    }
    expect(await ctx.sql`select 1 from transactions where account_id = ${a} and direction = 'outgoing'`).toHaveLength(0);
    expect(await balanceOf(a)).toBe(100_000_000n);
    expect(await balance(ctx.sql, systemAccounts.onchainPending)).toBe(0n);
  });

  it('a withdrawal to one of our own deposit addresses is an internal transfer', async () => {
    const a = await funded(50_000n);
    const b = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
    const { address } = (await issueAddresses(ctx, b, 1))[0]!;
    const r = await withdraw(ctx, { accountId: a, address: address.toUpperCase(), amountSat: 20_000n, idempotencyKey: newKey() });
    expect(r.status).toBe('succeeded');
    expect((await getTransaction(ctx.sql, r.transactionId))!.kind).toBe('transfer');
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([30_000_000n, 20_000_000n]);
  });
});

describe('batched withdrawals', () => {
  it('1,000 withdrawals leave in a few transactions, each payout charged its exact share of the fee', { timeout: 180_000 }, async () => {
    const a = await funded(200_000_000n);
    const amounts = Array.from({ length: 1000 }, (_, i) => 10_000n + BigInt(i));
    const results = await Promise.all(amounts.map((amountSat, i) => withdraw(ctx, { accountId: a, address: outside.derive(100 + i).address, amountSat, idempotencyKey: `w${i}` })));
    expect(results.every((r) => r.status === 'pending')).toBe(true);
    // The same key again is the same withdrawal.
    expect((await withdraw(ctx, { accountId: a, address: outside.derive(100).address, amountSat: 10_000n, idempotencyKey: 'w0' })).transactionId).toBe(results[0]!.transactionId);

    await expect.poll(async () => (await ctx.sql`select 1 from onchain_batch_payouts`).length, { timeout: 60_000 }).toBe(1000);
    const batches = await ctx.sql<{ id: string; txid: string }[]>`select id, txid from onchain_batches where kind = 'payout' order by created_at`;
    expect(batches).toHaveLength(3);
    await sim.mine(1);
    await expect.poll(async () => (await ctx.sql`select 1 from transactions where account_id = ${a} and direction = 'outgoing' and status = 'succeeded'`).length, { timeout: 60_000 }).toBe(1000);

    let totalFee = 0n;
    for (const b of batches) {
      // Decoded with a second library: every payout's output is there, and the fee is inputs minus outputs.
      const tx = bitcoinjs.Transaction.fromHex(sim.node.chain.txs.get(b.txid)!.hex);
      const inputs = tx.ins.reduce((s, i) => s + sim.node.chain.output(Buffer.from(i.hash).reverse().toString('hex'), i.index)!.amount, 0n);
      const fee = inputs - tx.outs.reduce((s, o) => s + BigInt(o.value), 0n);
      const rows = await ctx.sql<{ fee_msat: bigint; amount_msat: bigint; rail_ref: string; destination: string }[]>`
        select t.fee_msat, t.amount_msat, t.rail_ref, t.destination from onchain_batch_payouts p join transactions t on t.id = p.transaction_id where p.batch_id = ${b.id}`;
      expect(rows.reduce((s, r) => s + r.fee_msat, 0n)).toBe(fee * 1000n);
      for (const r of rows) {
        const [txid, vout] = r.rail_ref.split(':');
        expect(txid).toBe(b.txid);
        const out = tx.outs[Number(vout)]!;
        expect([bitcoinjs.address.fromOutputScript(out.script, bitcoinjs.networks.regtest), BigInt(out.value) * 1000n]).toEqual([r.destination, r.amount_msat]);
      }
      // Equal outputs pay equal shares (to the msat, give or take the one the rounding hands out).
      const shares = rows.map((r) => r.fee_msat);
      expect(Number(shares.reduce((m, x) => (x > m ? x : m)) - shares.reduce((m, x) => (x < m ? x : m)))).toBeLessThanOrEqual(1);
      totalFee += fee;
    }
    const sent = amounts.reduce((s, x) => s + x, 0n);
    expect(await balanceOf(a)).toBe((200_000_000n - sent - totalFee) * 1000n);
    expect(await balance(ctx.sql, systemAccounts.onchainPending)).toBe(0n);
    expect(await check(ctx.sql, { ...ledgerRules, ...paymentRules, ...onchainRules })).toEqual([]);
  });
});

describe('business API', () => {
  it('POST /api/v1/withdrawals reserves and queues (idempotent), refuses bad input with nothing reserved, GET follows it', async () => {
    const biz = (await createBusiness(ctx, { pubkey: getPublicKey(bizKey), name: 'Payroll' })).accountId;
    await funded(300_000n, biz);
    const to = outside.derive(5000).address;
    const bad = await api('POST', '/api/v1/withdrawals', { address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', amountSat: 10_000, idempotencyKey: 'b0' });
    expect(bad).toMatchObject({ status: 400, body: { error: 'wrong_network' } });
    expect((await api('POST', '/api/v1/withdrawals', { address: to, amountSat: -5, idempotencyKey: 'b1' })).status).toBe(400);
    expect((await api('POST', '/api/v1/withdrawals', { address: to, amountSat: '400000', idempotencyKey: 'b2' }))).toMatchObject({ status: 402, body: { error: 'insufficient_balance' } });
    expect(await ctx.sql`select 1 from transactions where account_id = ${biz} and direction = 'outgoing'`).toHaveLength(0);

    const first = await api('POST', '/api/v1/withdrawals', { address: to, amountSat: '25000', speed: 'slow', idempotencyKey: 'pay-1' });
    expect(first).toMatchObject({ status: 202, body: { status: 'pending', address: to, amountSat: '25000' } });
    const again = await api('POST', '/api/v1/withdrawals', { address: to, amountSat: '25000', speed: 'slow', idempotencyKey: 'pay-1' });
    expect(again.body.id).toBe(first.body.id);
    expect((await api('POST', '/api/v1/withdrawals', { address: to, amountSat: '26000', idempotencyKey: 'pay-1' }))).toMatchObject({ status: 409, body: { error: 'idempotency_conflict' } });
    expect((await api('GET', `/api/v1/withdrawals/${String(first.body.id)}`)).body).toMatchObject({ id: first.body.id, status: 'pending' });
    expect((await api('GET', '/api/v1/withdrawals/00000000-0000-4000-8000-000000000001')).status).toBe(404);
    const deposit = await api('POST', '/api/v1/deposit-addresses');
    expect(deposit).toMatchObject({ status: 201, body: { uri: `bitcoin:${String(deposit.body.address)}` } });
  });
});
