// The payout queue: reserved withdrawals (pending on the `onchain` rail, in no batch) leave in
// batches, one transaction for many payouts, on a schedule (ONCHAIN_BATCH_INTERVAL_SECONDS, or
// at once at ONCHAIN_BATCH_THRESHOLD or for a `fast` one). A batch is funded, signed and
// RECORDED before it is broadcast, so a crash after the broadcast finds it on restart (and
// sends the same bytes again: same txid, nothing paid twice). A rejected broadcast puts its
// payouts back in the queue; a batch unconfirmed after ONCHAIN_BUMP_AFTER_SECONDS is replaced
// with a higher fee (RBF) keeping every payout's output, and whichever version confirms settles
// the payouts, once, each with its output's share of that version's fee. Only the process
// holding the on-chain lease (module.ts) runs this, and a payout's row in onchain_batch_payouts
// keeps it in one batch at most.
import { randomUUID } from 'node:crypto';
import { hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import type { Context } from '../../core/context.ts';
import { outputVbytes, parseAddress } from '../../core/onchain/address.ts';
import { feeShares, speedTargets, type Speed } from '../../core/onchain/fees.ts';
import { finishPayment } from '../../core/payments/outgoing.ts';
import { txOpts } from './regtest/chain.ts';
import { ChainError, type ChainBackend, type Outpoint } from './port.ts';

interface Queued { id: string; amount_msat: bigint; created_at: Date; rail_data: { address: string; speed: Speed } }

async function queued(ctx: Context, limit: number): Promise<Queued[]> {
  return ctx.sql<Queued[]>`
    select t.id, t.amount_msat, t.created_at, t.rail_data from transactions t
    where t.status = 'pending' and t.rail = 'onchain' and t.direction = 'outgoing'
      and not exists (select from onchain_batch_payouts p where p.transaction_id = t.id)
    order by t.created_at limit ${limit}`;
}

const inputsOf = (rawHex: string): Outpoint[] => {
  const tx = btc.Transaction.fromRaw(hex.decode(rawHex), txOpts);
  return Array.from({ length: tx.inputsLength }, (_, i) => ({ txid: hex.encode(tx.getInput(i).txid!), vout: tx.getInput(i).index! }));
};

/**
 * When the queue is due (the oldest waited ONCHAIN_BATCH_INTERVAL_SECONDS, ONCHAIN_BATCH_THRESHOLD
 * wait, or a `fast` one does, or `force`), sends everything waiting, ONCHAIN_BATCH_MAX a batch.
 * Returns the batches' ids.
 */
export async function runPayoutQueue(ctx: Context, chain: ChainBackend, opts: { force?: boolean } = {}): Promise<string[]> {
  const c = ctx.config;
  const waiting = await queued(ctx, Math.max(c.ONCHAIN_BATCH_THRESHOLD, 1));
  if (!waiting.length) return [];
  const due = opts.force || waiting.length >= c.ONCHAIN_BATCH_THRESHOLD || waiting.some((p) => p.rail_data.speed === 'fast')
    || Date.now() - waiting[0]!.created_at.getTime() >= c.ONCHAIN_BATCH_INTERVAL_SECONDS * 1000;
  if (!due) return [];
  const ids: string[] = [];
  for (;;) {
    const id = await sendBatch(ctx, chain);
    if (!id) return ids;
    ids.push(id);
  }
}

/** Builds, records and broadcasts one batch of what waits; undefined when nothing could be sent. */
async function sendBatch(ctx: Context, chain: ChainBackend): Promise<string | undefined> {
  const c = ctx.config;
  const waiting = await queued(ctx, c.ONCHAIN_BATCH_MAX * 2);
  if (!waiting.length) return undefined;
  // Bitcoin Core refuses one address twice in a transaction: a second payout to it waits for the next batch.
  const seen = new Set<string>();
  const payouts = waiting.filter((p) => !seen.has(p.rail_data.address) && seen.add(p.rail_data.address)).slice(0, c.ONCHAIN_BATCH_MAX);
  const target = Math.min(...payouts.map((p) => speedTargets[p.rail_data.speed] ?? speedTargets.normal));
  const feeRate = await chain.feeRate(target);
  const outputs = payouts.map((p) => ({ address: p.rail_data.address, amountSat: p.amount_msat / 1000n }));
  let funded;
  try {
    funded = await chain.fundPsbt('hot', outputs, feeRate);
  } catch (err) {
    if (err instanceof ChainError && err.code === 'insufficient_funds') {
      ctx.log.error({ payouts: payouts.length }, 'ALERT: the hot wallet cannot fund the waiting withdrawals; refill it from cold storage (flash cold psbt)');
      return undefined;
    }
    throw err;
  }
  const signed = await chain.signPsbt(funded.psbt);
  const tx = signed.hex ? btc.Transaction.fromRaw(hex.decode(signed.hex), txOpts) : undefined;
  // Each payout's output: in order, the change (if any) at changePos.
  const vouts = payouts.map((_, i) => (funded.changePos >= 0 && i >= funded.changePos ? i + 1 : i));
  const sound = tx && payouts.every((p, i) => {
    const out = tx.getOutput(vouts[i]!);
    return out.amount === p.amount_msat / 1000n && hex.encode(out.script!) === hex.encode(parseAddress(p.rail_data.address, c.NETWORK).script);
  });
  if (!signed.complete || !tx || !sound) {
    await chain.unlock(inputsOf(signed.hex ?? '')).catch(() => {});
    throw new Error('the node returned a batch that is unsigned or does not pay the payouts as asked');
  }
  const batchId = randomUUID();
  const txid = tx.id;
  try {
    await ctx.sql.begin(async (db) => {
      await db`insert into onchain_batches (id, kind, status, txid, amount_sat) values (${batchId}, 'payout', 'signed', ${txid}, ${outputs.reduce((s, o) => s + o.amountSat, 0n)})`;
      await db`insert into onchain_batch_txs (txid, batch_id, hex, fee_sat, fee_rate) values (${txid}, ${batchId}, ${signed.hex!}, ${funded.feeSat}, ${feeRate})`;
      const rows = payouts.map((p, i) => ({ transaction_id: p.id, batch_id: batchId, vout: vouts[i]!, vbytes: outputVbytes(tx.getOutput(vouts[i]!).script!) }));
      for (let i = 0; i < rows.length; i += 5000) await db`insert into onchain_batch_payouts ${db(rows.slice(i, i + 5000) as never)}`;
      await db`update transactions t set rail_ref = ${txid} || ':' || p.vout from onchain_batch_payouts p where p.batch_id = ${batchId} and t.id = p.transaction_id`;
    });
  } catch (err) {
    // Another process batched some of them (or the database failed): never broadcast an unrecorded batch.
    await chain.unlock(inputsOf(signed.hex!)).catch(() => {});
    throw err;
  }
  ctx.log.info({ batchId, txid, payouts: payouts.length, feeSat: funded.feeSat.toString(), feeRate }, 'payout batch signed and recorded');
  await broadcast(ctx, chain, batchId, txid, signed.hex!);
  return batchId;
}

/** Broadcasts a recorded version; a rejection fails the batch (payouts queued again) unless a version of it is known to the node. */
async function broadcast(ctx: Context, chain: ChainBackend, batchId: string, txid: string, rawHex: string): Promise<void> {
  try {
    await chain.broadcast(rawHex);
  } catch (err) {
    if (!(err instanceof ChainError)) throw err;
    if (err.code === 'already_in_chain') { /* mined: fine */ } else if (err.code === 'rejected' || err.code === 'missing_inputs') {
      // Missing inputs may mean another version spent them: only fail when the node knows no version.
      const versions = await ctx.sql<{ txid: string }[]>`select txid from onchain_batch_txs where batch_id = ${batchId}`;
      for (const v of versions) {
        const w = await chain.walletTx('hot', v.txid);
        if (w && w.confirmations >= 0) return;
      }
      await failBatch(ctx, chain, batchId, err.message);
      return;
    } else {
      ctx.log.warn({ err, batchId }, 'broadcast outcome unknown; the batch is sent again on the next round');
      return;
    }
  }
  await ctx.sql`update onchain_batches set status = 'broadcast', broadcast_at = coalesce(broadcast_at, now()) where id = ${batchId} and status = 'signed'`;
}

async function failBatch(ctx: Context, chain: ChainBackend, batchId: string, error: string): Promise<void> {
  const versions = await ctx.sql<{ hex: string }[]>`select hex from onchain_batch_txs where batch_id = ${batchId}`;
  await ctx.sql.begin(async (db) => {
    await db`update onchain_batches set status = 'failed', error = ${error} where id = ${batchId}`;
    await db`update transactions t set rail_ref = null from onchain_batch_payouts p where p.batch_id = ${batchId} and t.id = p.transaction_id`;
    await db`delete from onchain_batch_payouts where batch_id = ${batchId}`;
  });
  await chain.unlock(versions.flatMap((v) => inputsOf(v.hex))).catch(() => {});
  ctx.log.error({ batchId, error }, 'payout batch rejected by the node; its payouts are queued again');
}

interface OpenBatch { id: string; status: 'signed' | 'broadcast'; txid: string; created_at: Date }

/**
 * Follows every open batch: settles one whose version confirmed, sends a signed one again
 * (a crash or an unknown broadcast outcome), fee-bumps one stuck for ONCHAIN_BUMP_AFTER_SECONDS.
 */
export async function trackBatches(ctx: Context, chain: ChainBackend): Promise<{ checked: number; finished: number }> {
  const open = await ctx.sql<OpenBatch[]>`select id, status, txid, created_at from onchain_batches where status in ('signed', 'broadcast') and kind = 'payout' order by created_at`;
  let finished = 0;
  for (const b of open) {
    const versions = await ctx.sql<{ txid: string; hex: string; fee_sat: bigint; fee_rate: string; created_at: Date }[]>`
      select txid, hex, fee_sat, fee_rate::text, created_at from onchain_batch_txs where batch_id = ${b.id} order by created_at`;
    let confirmed: (typeof versions)[number] | undefined;
    for (const v of versions) {
      const w = await chain.walletTx('hot', v.txid);
      if (w && w.confirmations >= ctx.config.ONCHAIN_CONFIRMATIONS) confirmed = v;
    }
    if (confirmed) { finished += await settleBatch(ctx, b.id, confirmed.txid, confirmed.fee_sat); continue; }
    const latest = versions.at(-1)!;
    if (b.status === 'signed') { await broadcast(ctx, chain, b.id, latest.txid, latest.hex); continue; }
    if (Date.now() - latest.created_at.getTime() >= ctx.config.ONCHAIN_BUMP_AFTER_SECONDS * 1000) await bump(ctx, chain, b.id, latest.txid, Number(latest.fee_rate));
  }
  return { checked: open.length, finished };
}

/** Replaces the batch's latest version with one paying more (recorded before its broadcast, as every version). */
async function bump(ctx: Context, chain: ChainBackend, batchId: string, txid: string, oldRate: number): Promise<void> {
  const estimate = await chain.feeRate(speedTargets.fast);
  const rate = Math.max(estimate, Math.ceil(oldRate * 1.25), oldRate + 1);
  let replacement;
  try {
    replacement = await chain.bumpPsbt(txid, rate);
  } catch (err) {
    // Mined meanwhile, or already replaced: the next round sees which.
    ctx.log.warn({ err, batchId, txid }, 'fee bump not possible now');
    return;
  }
  const signed = await chain.signPsbt(replacement.psbt);
  if (!signed.complete || !signed.hex) throw new Error('the node did not sign the fee bump');
  const newTxid = btc.Transaction.fromRaw(hex.decode(signed.hex), txOpts).id;
  await ctx.sql.begin(async (db) => {
    await db`insert into onchain_batch_txs (txid, batch_id, hex, fee_sat, fee_rate) values (${newTxid}, ${batchId}, ${signed.hex!}, ${replacement.feeSat}, ${rate}) on conflict do nothing`;
    await db`update onchain_batches set txid = ${newTxid} where id = ${batchId}`;
    await db`update transactions t set rail_ref = ${newTxid} || ':' || p.vout from onchain_batch_payouts p where p.batch_id = ${batchId} and t.id = p.transaction_id`;
  });
  ctx.log.info({ batchId, from: txid, to: newTxid, feeRate: rate }, 'payout batch fee-bumped (RBF)');
  await broadcast(ctx, chain, batchId, newTxid, signed.hex);
}

/** Settles the batch's payouts with their shares of the confirmed version's fee; idempotent. */
async function settleBatch(ctx: Context, batchId: string, txid: string, feeSat: bigint): Promise<number> {
  const payouts = await ctx.sql<{ transaction_id: string; vout: number; vbytes: number; attempts: number }[]>`
    select p.transaction_id, p.vout, p.vbytes, t.attempts from onchain_batch_payouts p join transactions t on t.id = p.transaction_id
    where p.batch_id = ${batchId} order by p.vout`;
  const shares = feeShares(feeSat * 1000n, payouts.map((p) => p.vbytes));
  await ctx.sql`update transactions t set rail_ref = ${txid} || ':' || p.vout from onchain_batch_payouts p where p.batch_id = ${batchId} and t.id = p.transaction_id`;
  await Promise.all(payouts.map((p, i) => finishPayment(ctx, p.transaction_id, p.attempts, { status: 'succeeded', feeMsat: shares[i]! })));
  await ctx.sql`update onchain_batches set status = 'confirmed', confirmed_txid = ${txid}, confirmed_at = now() where id = ${batchId}`;
  ctx.log.info({ batchId, txid, payouts: payouts.length }, 'payout batch confirmed');
  return payouts.length;
}

/** Unlocks coins the node holds locked for no recorded open batch (a crash between funding and recording). */
export async function releaseStrayLocks(ctx: Context, chain: ChainBackend): Promise<void> {
  const locked = await chain.lockedCoins();
  if (!locked.length) return;
  const open = await ctx.sql<{ hex: string }[]>`select v.hex from onchain_batch_txs v join onchain_batches b on b.id = v.batch_id where b.status in ('signed', 'broadcast')`;
  const kept = new Set(open.flatMap((v) => inputsOf(v.hex)).map((o) => `${o.txid}:${o.vout}`));
  await chain.unlock(locked.filter((o) => !kept.has(`${o.txid}:${o.vout}`)));
}
