// Cold storage round trip against the bitcoind stand-in: a 2-of-3 watch-only multisig wallet
// imported from public descriptors; `flash cold psbt`'s PSBT signed by two signers OUTSIDE the
// service with a second, independent library (bitcoinjs-lib, keys held by the test), then
// combined, finalized and broadcast by `flash cold submit`'s code; the ledger moves the amount
// from cold to hot once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as bitcoinjs from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { HDKey } from '@scure/bip32';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { onchainRules } from '../../core/onchain/check.ts';
import { newPubkey } from '../support/wallet.ts';
import { Deriver, parseDescriptor, withChecksum } from '../../core/onchain/descriptor.ts';
import { networks } from '../../core/onchain/network.ts';
import type { RunningRole } from '../../core/role.ts';
import { BitcoindChain } from '../../workers/onchain/bitcoind.ts';
import { coldToHotPsbt, importColdWallet, submitColdPsbts } from '../../workers/onchain/cold.ts';
import { workersRole } from '../../workers/role.ts';
import { startBitcoindSim, SIM_PASSWORD, SIM_USER, type BitcoindSim } from '../sims/bitcoind/sim.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let sim: BitcoindSim;
let ctx: TestContext;
let workers: RunningRole | undefined;
let chain: BitcoindChain;

// The operator's three hardware wallets: their keys never leave this test.
const signers = Array.from({ length: 3 }, () => HDKey.fromMasterSeed(randomBytes(32), networks.regtest.bip32));
const PATH = "m/48'/1'/0'/2'";
const keyExpr = (s: HDKey, branch: number) => `[${s.fingerprint.toString(16).padStart(8, '0')}/48h/1h/0h/2h]${s.derive(PATH).publicExtendedKey}/${branch}/*`;
const descriptor = (branch: number) => withChecksum(`wsh(sortedmulti(2,${signers.map((s) => keyExpr(s, branch)).join(',')}))`);

/** Signs every input the signer has a key for, with bitcoinjs-lib. */
function sign(psbtBase64: string, signer: HDKey): string {
  const psbt = bitcoinjs.Psbt.fromBase64(psbtBase64, { network: bitcoinjs.networks.regtest });
  psbt.data.inputs.forEach((input, i) => {
    for (const d of input.bip32Derivation ?? []) {
      if (Buffer.from(d.masterFingerprint).readUInt32BE(0) !== signer.fingerprint) continue;
      const key = signer.derive(d.path);
      expect(Buffer.from(key.publicKey!).equals(Buffer.from(d.pubkey))).toBe(true);
      psbt.signInput(i, { publicKey: key.publicKey!, sign: (hash: Uint8Array) => ecc.sign(hash, key.privateKey!) });
    }
  });
  return psbt.toBase64();
}

beforeAll(async () => {
  sim = await startBitcoindSim();
  ctx = await createTestContext({ ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD, ONCHAIN_ADDRESS_GAP: '100', ONCHAIN_SCAN_INTERVAL_MS: '100',
    ONCHAIN_COLD_HIGH_WATER_SAT: '50000000', ONCHAIN_COLD_LOW_WATER_SAT: '10000000' });
  workers = await workersRole(ctx);
  chain = new BitcoindChain({ url: sim.url, user: SIM_USER, password: SIM_PASSWORD, wallet: 'flash', coldWallet: 'flash-cold' });
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sim?.close();
});

it('cold → hot: PSBT for the signers, signed outside with another library, combined, finalized, broadcast, posted once', { timeout: 60_000 }, async () => {
  await importColdWallet(ctx, chain, descriptor(0), descriptor(1));
  expect(sim.node.wallets.get('flash-cold')!.privateKeysDisabled).toBe(true);
  const coldAddress = new Deriver(parseDescriptor(descriptor(0), networks.regtest)).derive(0).address;
  // A second library derives the same 2-of-3 P2WSH address.
  const pubkeys = signers.map((s) => Buffer.from(s.derive(`${PATH}/0/0`).publicKey!)).sort(Buffer.compare);
  expect(bitcoinjs.payments.p2wsh({ redeem: bitcoinjs.payments.p2ms({ m: 2, pubkeys, network: bitcoinjs.networks.regtest }), network: bitcoinjs.networks.regtest }).address).toBe(coldAddress);
  await sim.send(coldAddress, 100_000_000n);
  await sim.mine(1);

  const { psbt, feeSat, to } = await coldToHotPsbt(ctx, chain, 30_000_000n);
  const unsigned = bitcoinjs.Psbt.fromBase64(psbt, { network: bitcoinjs.networks.regtest });
  expect(unsigned.data.inputs[0]!.witnessScript).toBeDefined();
  expect(unsigned.txOutputs.some((o) => o.address === to && o.value === 30_000_000n)).toBe(true);

  const one = sign(psbt, signers[0]!);
  await expect(submitColdPsbts(ctx, chain, [one])).rejects.toThrow(/not hold enough signatures/);
  const two = sign(psbt, signers[2]!);
  const both = bitcoinjs.Psbt.fromBase64(one, { network: bitcoinjs.networks.regtest }).combine(bitcoinjs.Psbt.fromBase64(two, { network: bitcoinjs.networks.regtest }));
  expect(both.validateSignaturesOfAllInputs((pubkey, msghash, signature) => ecc.verify(msghash, pubkey, signature))).toBe(true);

  const txid = await submitColdPsbts(ctx, chain, [one, two]);
  expect(sim.node.chain.mempool.has(txid)).toBe(true);
  expect(bitcoinjs.Transaction.fromHex(sim.node.chain.txs.get(txid)!.hex).getId()).toBe(txid);
  // Submitted twice (a signer sent theirs again): one transaction, one journal.
  expect(await submitColdPsbts(ctx, chain, [two, one])).toBe(txid);
  expect(await ctx.sql`select 1 from journals where idempotency_key = ${`onchain:cold:${txid}`}`).toHaveLength(1);
  expect(await balance(ctx.sql, systemAccounts.onchain)).toBe(-30_000_000_000n);
  expect(await balance(ctx.sql, systemAccounts.onchainCold)).toBe((30_000_000n + feeSat) * 1000n);
  await sim.mine(1);
  await expect.poll(async () => (await chain.balances('hot')).confirmedSat).toBe(30_000_000n);
});

it('above the high-water mark the hot wallet\'s excess is swept to a fresh cold address, posted once', { timeout: 60_000 }, async () => {
  const a = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  const { address } = (await issueAddresses(ctx, a, 1))[0]!;
  const coldBefore = await balance(ctx.sql, systemAccounts.onchainCold);
  await sim.send(address, 40_000_000n);
  await sim.mine(1);
  // 30,000,000 sat from the round trip above + 40,000,000 deposited: 70,000,000 > 50,000,000, down to the midpoint 30,000,000.
  // Recorded (signed) before its broadcast, marked broadcast with its journal: wait for the latter.
  await expect.poll(async () => (await ctx.sql`select status from onchain_batches where kind = 'sweep_to_cold'`).map((b) => b.status), { timeout: 30_000 }).toEqual(['broadcast']);
  const [sweep] = await ctx.sql<{ txid: string; amount_sat: bigint }[]>`select txid, amount_sat from onchain_batches where kind = 'sweep_to_cold'`;
  expect(sweep!.amount_sat).toBe(40_000_000n);
  const tx = bitcoinjs.Transaction.fromHex(sim.node.chain.txs.get(sweep!.txid)!.hex);
  const paid = tx.outs.find((o) => o.value === 40_000_000n)!;
  const coldAddress = bitcoinjs.address.fromOutputScript(paid.script, bitcoinjs.networks.regtest);
  expect(await chain.isMine('cold', coldAddress)).toBe(true);
  expect(await ctx.sql`select 1 from onchain_addresses where address = ${coldAddress} and account_id is null`).toHaveLength(1);
  expect(await balance(ctx.sql, systemAccounts.onchainCold)).toBe(coldBefore - 40_000_000_000n);
  expect(await ctx.sql`select 1 from journals where idempotency_key = ${`onchain:sweep:${sweep!.txid}`}`).toHaveLength(1);
  await sim.mine(1);
  await expect.poll(async () => (await chain.balances('cold')).confirmedSat, { timeout: 30_000 }).toBeGreaterThanOrEqual(40_000_000n);
  await expect.poll(async () => check(ctx.sql, { ...ledgerRules, ...paymentRules, ...onchainRules }), { timeout: 30_000 }).toEqual([]);
});
