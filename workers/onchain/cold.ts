// Cold storage: a watch-only multisig descriptor wallet (wsh(sortedmulti(m, xpub…))) in the
// node, whose keys stay on the operator's hardware wallets. Refilling the hot wallet is a
// signing ceremony: `flash cold psbt` writes a PSBT (BIP-174) spending cold coins to a hot
// change address, the signers sign it offline, `flash cold submit` combines, finalizes and
// broadcasts. No private key of the cold wallet ever reaches the service. The ledger moves the
// amount from `onchain_cold` to `onchain` (the hot wallet) and the fee to `fees` when it is
// broadcast (journal `onchain:cold:<txid>`, once). The other way, sweepToCold below.
import { randomUUID } from 'node:crypto';
import { base64, hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import type { Context } from '../../core/context.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { issueAddresses } from '../../core/onchain/addresses.ts';
import { networks } from '../../core/onchain/network.ts';
import { txOpts } from './regtest/chain.ts';
import { ChainError, type ChainBackend } from './port.ts';

export async function importColdWallet(ctx: Context, chain: ChainBackend, receive: string, change: string): Promise<void> {
  await chain.importCold(receive, change, ctx.config.ONCHAIN_ADDRESS_GAP);
  await ctx.sql`insert into onchain_descriptors (name, descriptor, node_range) values ('cold', ${receive}, ${ctx.config.ONCHAIN_ADDRESS_GAP})
    on conflict (name) do update set descriptor = excluded.descriptor, node_range = excluded.node_range, updated_at = now()`;
}

/** An unsigned PSBT paying `amountSat` from cold storage to a fresh hot change address. */
export async function coldToHotPsbt(ctx: Context, chain: ChainBackend, amountSat: bigint): Promise<{ psbt: string; feeSat: bigint; to: string }> {
  const to = await chain.changeAddress('hot');
  const rate = await chain.feeRate(6);
  const funded = await chain.fundPsbt('cold', [{ address: to, amountSat }], rate);
  ctx.log.info({ to, amountSat: amountSat.toString(), feeSat: funded.feeSat.toString() }, 'cold storage PSBT written for the signers');
  return { psbt: funded.psbt, feeSat: funded.feeSat, to };
}

/** Combines the signers' PSBTs, finalizes, records, broadcasts and posts the move; returns the txid. */
export async function submitColdPsbts(ctx: Context, chain: ChainBackend, psbts: string[]): Promise<string> {
  const combined = await chain.combinePsbts(psbts);
  const final = await chain.finalizePsbt(combined);
  if (!final.complete || !final.hex) throw new Error('the PSBTs do not hold enough signatures yet');
  const tx = btc.Transaction.fromRaw(hex.decode(final.hex), txOpts);
  const fee = btc.Transaction.fromPSBT(base64.decode(combined), txOpts).fee;
  let toHot = 0n;
  for (let o = 0; o < tx.outputsLength; o++) {
    const address = tx.getOutputAddress(o, networks[ctx.config.NETWORK])!;
    if (!(await chain.isMine('cold', address))) toHot += tx.getOutput(o).amount!;
  }
  const txid = tx.id;
  const batchId = randomUUID();
  await ctx.sql.begin(async (db) => {
    const [existing] = await db`select 1 from onchain_batch_txs where txid = ${txid}`;
    if (existing) return;
    await db`insert into onchain_batches (id, kind, status, txid, amount_sat) values (${batchId}, 'cold_to_hot', 'signed', ${txid}, ${toHot})`;
    await db`insert into onchain_batch_txs (txid, batch_id, hex, fee_sat, fee_rate) values (${txid}, ${batchId}, ${final.hex!}, ${fee}, ${Number(fee) / tx.vsize})`;
  });
  try {
    await chain.broadcast(final.hex);
  } catch (err) {
    if (!(err instanceof ChainError && err.code === 'already_in_chain')) throw err;
  }
  await ctx.sql.begin(async (db) => {
    await post(db, {
      idempotencyKey: `onchain:cold:${txid}`, kind: 'onchain.cold_to_hot', memo: `cold storage to hot wallet, ${txid}`,
      postings: [
        { accountId: systemAccounts.onchainCold, amountMsat: (toHot + fee) * 1000n },
        { accountId: systemAccounts.onchain, amountMsat: -toHot * 1000n },
        { accountId: systemAccounts.fees, amountMsat: -fee * 1000n },
      ].filter((p) => p.amountMsat !== 0n),
    });
    await db`update onchain_batches set status = 'broadcast', broadcast_at = now() where txid = ${txid} and status = 'signed'`;
  });
  ctx.log.info({ txid, toHotSat: toHot.toString(), feeSat: fee.toString() }, 'cold storage transaction broadcast');
  return txid;
}

/**
 * Above ONCHAIN_COLD_HIGH_WATER_SAT (hot wallet, confirmed), the excess over the midpoint of the
 * water marks goes to a fresh cold address: recorded before its broadcast like a payout batch,
 * posted `onchain → onchain_cold` (fee to `fees`) once broadcast. One open sweep at a time.
 */
export async function sweepToCold(ctx: Context, chain: ChainBackend): Promise<string | undefined> {
  const high = ctx.config.ONCHAIN_COLD_HIGH_WATER_SAT;
  if (high === undefined) return undefined;
  const [cold] = await ctx.sql`select 1 from onchain_descriptors where name = 'cold'`;
  const [open] = await ctx.sql`select 1 from onchain_batches where kind = 'sweep_to_cold' and status in ('signed', 'broadcast')`;
  if (!cold || open) return undefined;
  const { confirmedSat } = await chain.balances('hot');
  if (confirmedSat <= high) return undefined;
  const target = ((ctx.config.ONCHAIN_COLD_LOW_WATER_SAT ?? 0n) + high) / 2n;
  const amount = confirmedSat - target;
  const { address } = (await issueAddresses(ctx, null, 1))[0]!;
  const funded = await chain.fundPsbt('hot', [{ address, amountSat: amount }], await chain.feeRate(24));
  const signed = await chain.signPsbt(funded.psbt);
  if (!signed.complete || !signed.hex) throw new Error('the node did not sign the sweep');
  const txid = btc.Transaction.fromRaw(hex.decode(signed.hex), txOpts).id;
  const batchId = randomUUID();
  await ctx.sql.begin(async (db) => {
    await db`insert into onchain_batches (id, kind, status, txid, amount_sat) values (${batchId}, 'sweep_to_cold', 'signed', ${txid}, ${amount})`;
    await db`insert into onchain_batch_txs (txid, batch_id, hex, fee_sat, fee_rate) values (${txid}, ${batchId}, ${signed.hex!}, ${funded.feeSat}, ${Number(funded.feeSat) / btc.Transaction.fromRaw(hex.decode(signed.hex!), txOpts).vsize})`;
  });
  await chain.broadcast(signed.hex);
  await ctx.sql.begin(async (db) => {
    await post(db, {
      idempotencyKey: `onchain:sweep:${txid}`, kind: 'onchain.sweep_to_cold', memo: `hot wallet to cold storage, ${txid}`,
      postings: [
        { accountId: systemAccounts.onchain, amountMsat: (amount + funded.feeSat) * 1000n },
        { accountId: systemAccounts.onchainCold, amountMsat: -amount * 1000n },
        { accountId: systemAccounts.fees, amountMsat: -funded.feeSat * 1000n },
      ],
    });
    await db`update onchain_batches set status = 'broadcast', broadcast_at = now() where id = ${batchId}`;
  });
  ctx.log.info({ txid, amountSat: amount.toString(), to: address }, 'hot wallet above its high-water mark: excess swept to cold storage');
  return txid;
}
