// Solvency: what the service owes (liabilities, from the ledger) against what it holds (assets,
// read from each rail's backend by the workers). The watchdog (workers/risk/watchdog.ts) stores
// each report in risk_state; `flash reserves` and /readyz read it.
import type { Db } from '../ledger/ledger.ts';
import { systemAccounts } from '../ledger/accounts.ts';

export interface Liabilities {
  /** Every holder's balance (users, businesses, sub-wallets). */
  holdersMsat: bigint;
  /** Reserves of outgoing payments still pending on a rail (amount + fee reserve). */
  pendingMsat: bigint;
  /** eCash issued and not yet redeemed (the mint account). */
  ecashMsat: bigint;
}

export interface SolvencyReport {
  at: Date;
  liabilities: Liabilities & { totalMsat: bigint };
  /** Per source (`lightning channels`, `lightning on-chain`, …), as each rail's workers read it. */
  assets: Record<string, bigint>;
  assetsMsat: bigint;
  /** Liabilities minus assets; positive = short. */
  deficitMsat: bigint;
}

export async function liabilities(db: Db): Promise<Liabilities> {
  const [r] = await db<{ holders: bigint; pending: bigint; ecash: bigint }[]>`
    select (select coalesce(sum(balance_msat), 0)::int8 from accounts where balance_msat is not null) as holders,
           (select coalesce(sum(amount_msat + fee_reserve_msat), 0)::int8 from transactions
              where status = 'pending' and direction = 'outgoing' and rail is not null) as pending,
           (select coalesce(sum(amount_msat), 0)::int8 from postings where account_id = ${systemAccounts.mint}) as ecash`;
  return { holdersMsat: r!.holders, pendingMsat: r!.pending, ecashMsat: r!.ecash };
}

export function solvencyReport(l: Liabilities, assets: Record<string, bigint>, at = new Date()): SolvencyReport {
  const totalMsat = l.holdersMsat + l.pendingMsat + l.ecashMsat;
  const assetsMsat = Object.values(assets).reduce((s, v) => s + v, 0n);
  return { at, liabilities: { ...l, totalMsat }, assets, assetsMsat, deficitMsat: totalMsat - assetsMsat };
}

const wire = (r: SolvencyReport) => JSON.parse(JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;

export async function storeReport(db: Db, r: SolvencyReport): Promise<void> {
  await db`update risk_state set solvency = ${db.json(wire(r) as never)}, solvency_at = ${r.at}`;
}

type Stored = { at: string; liabilities: Record<string, string>; assets: Record<string, string>; assetsMsat: string; deficitMsat: string };

/** The watchdog's last report, if it ever ran. */
export async function lastReport(db: Db): Promise<SolvencyReport | undefined> {
  const [row] = await db<{ solvency: Stored | null }[]>`select solvency from risk_state`;
  const s = row?.solvency;
  if (!s) return undefined;
  const big = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));
  const l = big(s.liabilities);
  return {
    at: new Date(s.at), assets: big(s.assets), assetsMsat: BigInt(s.assetsMsat), deficitMsat: BigInt(s.deficitMsat),
    liabilities: { holdersMsat: l.holdersMsat!, pendingMsat: l.pendingMsat!, ecashMsat: l.ecashMsat!, totalMsat: l.totalMsat! },
  };
}
