// Deposits: the scanner's report of the hot wallet's transactions (listsinceblock since the
// stored cursor) applied to the ledger in one database transaction with the new cursor, so a
// crash repeats a scan instead of missing or double-counting one. Each output paying one of
// our addresses is one deposit (txid, vout): `pending` while below ONCHAIN_CONFIRMATIONS (seen,
// not spendable), `credited` at it (journal `onchain:receive:<txid>:<vout>`, so it is credited
// once whatever block it ends up in). A pending deposit whose transaction lost to a conflicting
// one is `dropped`. A credited one that falls back below the confirmations needed (a deep
// reorg) is `held`: its account's outgoing payments are held (payment_holds), the operator is
// alerted and a review recorded; the balance is not changed silently. Deposits to addresses of
// no account and dust (below ONCHAIN_DUST_SAT) are recorded as such and reported, never credited nor lost.
import { randomUUID } from 'node:crypto';
import type { Context } from '../context.ts';
import type { Tx } from '../db.ts';
import { recordEvent } from '../events.ts';
import { systemAccounts } from '../ledger/accounts.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import { recordTransactionEvents, toTransaction, type TransactionRow } from '../payments/transactions.ts';
import { depositPending, depositReorged } from './events.ts';

export interface ScannedOutput {
  txid: string;
  vout: number;
  address: string;
  amountSat: bigint;
  confirmations: number;
  blockHash?: string;
}

interface DepositRow { txid: string; vout: number; account_id: string | null; status: string; transaction_id: string | null; amount_msat: bigint }

export interface ScanResult { pending: number; credited: number; dropped: number; held: number; unowned: number; dust: number }

const CHUNK = 2000;
const chunks = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));
const key = (o: { txid: string; vout: number }) => `${o.txid}:${o.vout}`;

/**
 * Applies one scan: `outputs` are the wallet's received outputs as the node reports them now
 * (removed ones first, so a current report of the same output wins), then the cursor moves.
 */
export async function applyScan(ctx: Context, wallet: string, outputs: ScannedOutput[], cursor: string): Promise<ScanResult> {
  const n = ctx.config.ONCHAIN_CONFIRMATIONS;
  const byKey = new Map(outputs.map((o) => [key(o), o]));
  const list = [...byKey.values()];
  const result: ScanResult = { pending: 0, credited: 0, dropped: 0, held: 0, unowned: 0, dust: 0 };
  await ctx.sql.begin(async (tx) => {
    const owners = new Map<string, string | null>();
    for (const part of chunks([...new Set(list.map((o) => o.address))])) {
      for (const r of await tx<{ address: string; account_id: string | null }[]>`select address, account_id from onchain_addresses where address = any(${part})`) owners.set(r.address, r.account_id);
    }
    const existing = new Map<string, DepositRow>();
    for (const part of chunks(list)) {
      const rows = await tx<DepositRow[]>`
        select d.txid, d.vout, d.account_id, d.status, d.transaction_id, d.amount_msat from onchain_deposits d
        join unnest(${part.map((o) => o.txid)}::text[], ${part.map((o) => o.vout)}::int[]) as k (txid, vout) on d.txid = k.txid and d.vout = k.vout
        for update of d`;
      for (const r of rows) existing.set(key(r), r);
    }

    const inserts: Array<Record<string, unknown>> = [];
    const txRows: Array<Record<string, unknown>> = [];
    const credits: Array<{ o: ScannedOutput; accountId: string; transactionId: string; amount: bigint }> = [];
    const updates: Array<{ txid: string; vout: number; status: string; confirmations: number; block_hash: string | null }> = [];
    const pendingEvents: Array<Record<string, unknown>> = [];
    const reorged: Array<{ o: ScannedOutput; row: DepositRow }> = [];
    const recovered: DepositRow[] = [];
    const dropped: DepositRow[] = [];

    for (const o of list) {
      const row = existing.get(key(o));
      const amount = o.amountSat * 1000n;
      const confirmed = o.confirmations >= n;
      if (!row) {
        if (o.confirmations < 0) continue; // never seen, already lost to a conflict
        const accountId = owners.get(o.address) ?? null;
        const odd = accountId === null ? 'unowned' : o.amountSat < ctx.config.ONCHAIN_DUST_SAT ? 'dust' : undefined;
        if (odd) {
          inserts.push({ txid: o.txid, vout: o.vout, address: o.address, account_id: accountId, amount_msat: amount, status: odd, confirmations: o.confirmations, block_hash: o.blockHash ?? null, transaction_id: null });
          await tx`insert into onchain_reviews (kind, txid, vout, account_id, amount_msat, detail)
            values (${odd}, ${o.txid}, ${o.vout}, ${accountId}, ${amount}, ${`${o.amountSat} sat to ${o.address}`}) on conflict do nothing`;
          ctx.log.warn({ txid: o.txid, vout: o.vout, address: o.address, sat: o.amountSat.toString(), kind: odd }, 'on-chain deposit recorded for review, not credited');
          result[odd]++;
          continue;
        }
        const transactionId = randomUUID();
        inserts.push({ txid: o.txid, vout: o.vout, address: o.address, account_id: accountId, amount_msat: amount, status: confirmed ? 'credited' : 'pending', confirmations: o.confirmations, block_hash: o.blockHash ?? null, transaction_id: transactionId });
        txRows.push({ id: transactionId, account_id: accountId, status: confirmed ? 'succeeded' : 'pending', idempotency_key: `onchain:${key(o)}`, amount_msat: amount, rail_ref: key(o), destination: o.address, settled_at: confirmed ? new Date() : null });
        if (confirmed) credits.push({ o, accountId: accountId!, transactionId, amount });
        else pendingEvents.push({ type: depositPending.type, accountId, transactionId, txid: o.txid, vout: o.vout, address: o.address, amountMsat: amount, confirmations: o.confirmations });
        continue;
      }
      const update = (status: string) => updates.push({ txid: o.txid, vout: o.vout, status, confirmations: o.confirmations, block_hash: o.blockHash ?? null });
      if (row.status === 'pending' || row.status === 'dropped') {
        if (confirmed) { update('credited'); credits.push({ o, accountId: row.account_id!, transactionId: row.transaction_id!, amount: row.amount_msat }); }
        else if (o.confirmations < 0) { if (row.status === 'pending') { update('dropped'); dropped.push(row); } }
        else update('pending');
      } else if (row.status === 'credited' && !confirmed) {
        update('held'); reorged.push({ o, row });
      } else if (row.status === 'held' && confirmed) {
        update('credited'); recovered.push(row);
      } else {
        update(row.status);
      }
    }

    for (const part of chunks(inserts)) await tx`insert into onchain_deposits ${tx(part as never)}`;
    // Rows of new deposits credited at once are written settled: crediting them needs no second write.
    const settledRows = new Map<string, TransactionRow>();
    for (const part of chunks(txRows)) {
      const written = await tx<TransactionRow[]>`insert into transactions ${tx(part.map((r) => ({ ...r, direction: 'incoming', kind: 'onchain', rail: 'onchain' })) as never)} returning *`;
      for (const r of written) if (r.status === 'succeeded') settledRows.set(r.id, r);
    }
    for (const part of chunks(updates)) {
      await tx`update onchain_deposits d set status = u.status, confirmations = u.confirmations, block_hash = u.block_hash, updated_at = now(),
          credited_at = case when u.status = 'credited' then coalesce(d.credited_at, now()) else d.credited_at end
        from jsonb_to_recordset(${tx.json(part as never)}) as u (txid text, vout int, status text, confirmations int, block_hash text)
        where d.txid = u.txid and d.vout = u.vout`;
    }
    if (pendingEvents.length) for (const part of chunks(pendingEvents)) await recordEvent(tx, ...(part as never[]));
    await credit(tx, credits, settledRows);
    if (dropped.length) {
      await tx`update transactions set status = 'failed', failure_reason = 'dropped', failure_message = 'the deposit transaction was replaced or double-spent before it confirmed'
        where id = any(${dropped.map((d) => d.transaction_id!)}::uuid[]) and status = 'pending'`;
    }
    for (const { o, row } of reorged) {
      await tx`insert into payment_holds (account_id, reason) values (${row.account_id}, ${`deposit ${key(o)} reorged out after it was credited`}) on conflict do nothing`;
      await tx`insert into onchain_reviews (kind, txid, vout, account_id, amount_msat, detail)
        values ('reorg', ${o.txid}, ${o.vout}, ${row.account_id}, ${row.amount_msat}, ${`credited, now ${o.confirmations} confirmations`})
        on conflict (kind, txid, vout) do update set resolved_at = null`;
      await recordEvent(tx, { type: depositReorged.type, accountId: row.account_id!, transactionId: row.transaction_id!, txid: o.txid, vout: o.vout, address: o.address, amountMsat: row.amount_msat, confirmations: o.confirmations });
      ctx.log.error({ txid: o.txid, vout: o.vout, accountId: row.account_id, confirmations: o.confirmations }, 'ALERT: a credited deposit was reorged out; the account\'s outgoing payments are held for review');
      result.held++;
    }
    for (const row of recovered) {
      await tx`update onchain_reviews set resolved_at = now() where kind = 'reorg' and txid = ${row.txid} and vout = ${row.vout}`;
      await tx`delete from payment_holds h where h.account_id = ${row.account_id}
        and not exists (select from onchain_deposits d where d.account_id = h.account_id and d.status = 'held')`;
    }
    await tx`insert into onchain_cursors (wallet, block_hash) values (${wallet}, ${cursor})
      on conflict (wallet) do update set block_hash = excluded.block_hash, updated_at = now()`;
    result.pending += pendingEvents.length;
    result.credited += credits.length;
    result.dropped += dropped.length;
  });
  if (result.credited || result.pending || result.held) void publishCommitted(ctx);
  return result;
}

/** Credits deposits: one journal each (set-wise), the rows succeeded, the addresses' totals, payment.received. */
async function credit(tx: Tx, credits: Array<{ o: ScannedOutput; accountId: string; transactionId: string; amount: bigint }>, settled: Map<string, TransactionRow>): Promise<void> {
  for (const part of chunks(credits)) {
    const keys: string[] = [], kinds: string[] = [], memos: Array<string | null> = [], refs: string[] = [], accts: string[] = [], amounts: string[] = [];
    for (const c of part) {
      for (const [account, amount] of [[systemAccounts.onchain, -c.amount], [c.accountId, c.amount]] as const) {
        keys.push(`onchain:receive:${key(c.o)}`); kinds.push('onchain.receive'); memos.push(null); refs.push(c.transactionId); accts.push(account); amounts.push(amount.toString());
      }
    }
    await tx`select ledger_post_set(${keys}::text[], ${kinds}::text[], ${memos}::text[], ${refs}::uuid[], ${accts}::uuid[], ${amounts}::int8[])`;
    const pending = part.filter((c) => !settled.has(c.transactionId)).map((c) => c.transactionId);
    const updated = pending.length ? await tx<TransactionRow[]>`update transactions set status = 'succeeded', settled_at = coalesce(settled_at, now())
      where id = any(${pending}::uuid[]) returning *` : [];
    const rows = [...part.flatMap((c) => settled.get(c.transactionId) ?? []), ...updated];
    await tx`update onchain_addresses a set received_msat = a.received_msat + s.amount, first_seen_at = coalesce(a.first_seen_at, now())
      from (select address, sum(amount)::int8 as amount from jsonb_to_recordset(${tx.json(part.map((c) => ({ address: c.o.address, amount: c.amount.toString() })) as never)})
            as x (address text, amount int8) group by address) s
      where a.address = s.address`;
    await recordTransactionEvents(tx, ...rows.map((r) => ['payment.received', toTransaction(r)] as ['payment.received', ReturnType<typeof toTransaction>]));
  }
}
