// The address index: deposit addresses derived from the hot wallet's public descriptor (no node
// round trip), one sequence per descriptor for the index, one row per address (address →
// account, derivation, first seen, total received). A lookup by address or by account is an
// index hit. The node's wallet must know an address's script before money arrives on it: when
// issuing nears the range it knows, a refill job extends it (workers/onchain/processors.ts).
import type { Context } from '../context.ts';
import type { Sql } from '../db.ts';
import { GroupCommit, groupCommitPer } from '../group-commit.ts';
import type { Db } from '../ledger/ledger.ts';
import { Deriver, parseDescriptor } from './descriptor.ts';
import { networks } from './network.ts';
import { PaymentError } from '../payments/errors.ts';

export type AddressType = 'p2wpkh' | 'p2tr';
export type DescriptorName = `hot_${AddressType}` | 'cold';

export interface IssuedAddress { address: string; accountId: string | null; descriptor: DescriptorName; index: number; createdAt: Date }

const derivers = new Map<string, Deriver>();

/** The deriver of a stored descriptor (cached by its text). */
export function deriverOf(descriptor: string, network: keyof typeof networks): Deriver {
  let d = derivers.get(descriptor);
  if (!d) derivers.set(descriptor, d = new Deriver(parseDescriptor(descriptor, networks[network])));
  return d;
}

interface DescriptorRow { name: DescriptorName; descriptor: string; node_range: number }

export async function descriptorRow(db: Db, name: DescriptorName): Promise<DescriptorRow | undefined> {
  const [row] = await db<DescriptorRow[]>`select name, descriptor, node_range from onchain_descriptors where name = ${name}`;
  return row;
}

interface Issue { accountId: string | null; name: DescriptorName; count: number; network: keyof typeof networks }
interface IssueRow { address: string; account_id: string | null; descriptor: DescriptorName; derivation_index: number; created_at: Date }

/**
 * Requests arriving together are issued together, per descriptor: one sequence draw and one
 * insert for all of them (a request costs no round trip of its own).
 */
const issuesOf = groupCommitPer((sql: Sql) => new GroupCommit<Issue, { rows: IssueRow[]; nodeRange: number }>(async (items) => {
  const out: Array<{ rows: IssueRow[]; nodeRange: number }> = [];
  const byName = new Map<DescriptorName, DescriptorRow | undefined>();
  for (const name of new Set(items.map((i) => i.name))) byName.set(name, await descriptorRow(sql, name));
  const rows: Array<{ address: string; account_id: string | null; descriptor: DescriptorName; derivation_index: number }> = [];
  const counts = new Map<DescriptorName, number>();
  for (const i of items) counts.set(i.name, (counts.get(i.name) ?? 0) + i.count);
  const indexes = new Map<DescriptorName, number[]>();
  for (const [name, n] of counts) {
    if (!byName.get(name)) continue;
    indexes.set(name, (await sql<{ i: number }[]>`select nextval(${`onchain_index_${name}`}::regclass)::int as i from generate_series(1, ${n})`).map((r) => r.i));
  }
  for (const item of items) {
    const row = byName.get(item.name);
    if (!row) { out.push({ rows: [], nodeRange: -1 }); continue; }
    const d = deriverOf(row.descriptor, item.network);
    const mine = indexes.get(item.name)!.splice(0, item.count).map((i) => ({ address: d.derive(i).address, account_id: item.accountId, descriptor: item.name, derivation_index: i }));
    rows.push(...mine);
    out.push({ rows: mine as IssueRow[], nodeRange: row.node_range });
  }
  const written = rows.length ? await sql<IssueRow[]>`insert into onchain_addresses ${sql(rows as never)} returning address, created_at` : [];
  const at = new Map(written.map((r) => [r.address, r.created_at]));
  for (const o of out) for (const r of o.rows) r.created_at = at.get(r.address)!;
  return out;
}, { batchMax: 500, maxInFlight: 2 }));

/** Issues `count` fresh addresses of `type` for the account (`null`: cold storage's own). */
export async function issueAddresses(ctx: Context, accountId: string | null, count = 1, type: AddressType = ctx.config.ONCHAIN_ADDRESS_TYPE): Promise<IssuedAddress[]> {
  const name: DescriptorName = accountId === null ? 'cold' : `hot_${type}`;
  const { rows, nodeRange } = await issuesOf(ctx.sql).submit({ accountId, name, count, network: ctx.config.NETWORK });
  if (nodeRange < 0) throw new PaymentError('unavailable', 'on-chain deposits are not ready yet (the workers have not set up the wallet)');
  const highest = Math.max(...rows.map((r) => r.derivation_index));
  // Keep the node's range a gap ahead; ask for more at half the gap, once per step.
  if (highest + ctx.config.ONCHAIN_ADDRESS_GAP / 2 >= nodeRange) {
    const range = (Math.floor(highest / ctx.config.ONCHAIN_ADDRESS_GAP) + 2) * ctx.config.ONCHAIN_ADDRESS_GAP;
    await ctx.bus.enqueue('onchain.refill', { range }, { id: `refill-${name}-${range}` })
      .catch((err: unknown) => ctx.log.warn({ err }, 'could not ask for a wallet refill; the scanner refills too'));
  }
  return rows.map((r) => ({ address: r.address, accountId, descriptor: name, index: r.derivation_index, createdAt: r.created_at }));
}

/** The account's newest deposit address if nothing was received on it yet, else a fresh one. */
export async function depositAddress(ctx: Context, accountId: string, fresh = false): Promise<IssuedAddress> {
  if (!fresh) {
    const [row] = await ctx.sql<{ address: string; descriptor: DescriptorName; derivation_index: number; created_at: Date }[]>`
      select address, descriptor, derivation_index, created_at from onchain_addresses
      where account_id = ${accountId} and first_seen_at is null order by created_at desc limit 1`;
    if (row) return { address: row.address, accountId, descriptor: row.descriptor, index: row.derivation_index, createdAt: row.created_at };
  }
  return (await issueAddresses(ctx, accountId))[0]!;
}

export async function addressOwner(db: Db, address: string): Promise<{ accountId: string | null } | undefined> {
  const [row] = await db<{ account_id: string | null }[]>`select account_id from onchain_addresses where address = ${address}`;
  return row && { accountId: row.account_id };
}

/** A BIP-21 URI for an address (amount in BTC when given). */
export function bip21(address: string, amountSat?: bigint): string {
  const btc = amountSat === undefined ? '' : `?amount=${amountSat / 100_000_000n}.${(amountSat % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '') || '0'}`;
  return `bitcoin:${address}${btc}`;
}
