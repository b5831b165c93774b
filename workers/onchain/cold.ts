// Cold storage: a watch-only multisig descriptor wallet (wsh(sortedmulti(m, xpub…))) in the
// node, whose keys stay on the operator's hardware wallets. Refilling the hot wallet is a
// signing ceremony: `flash cold psbt` writes a PSBT (BIP-174) spending cold coins to a hot
// change address, the signers sign it offline, `flash cold submit` combines, finalizes and
// broadcasts. No private key of the cold wallet ever reaches the service. The ledger moves the
// amount from `onchain_cold` to `onchain` (the hot wallet) and the fee to `fees` when it is
// broadcast (journal `onchain:cold:<txid>`, once).
import { randomUUID } from 'node:crypto';
import { base64, hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import type { Context } from '../../core/context.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
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
