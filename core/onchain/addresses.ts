// The address index: deposit addresses derived from the hot wallet's public descriptor (no node
// round trip), one sequence per descriptor for the index, one row per address (address →
// account, derivation, first seen, total received). A lookup by address or by account is an
// index hit. The node's wallet must know an address's script before money arrives on it: when
// issuing nears the range it knows, a refill job extends it (workers/onchain/processors.ts).
import type { Context } from '../context.ts';
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

/** Issues `count` fresh addresses of `type` for the account (one statement, one sequence draw each). */
export async function issueAddresses(ctx: Context, accountId: string | null, count = 1, type: AddressType = ctx.config.ONCHAIN_ADDRESS_TYPE): Promise<IssuedAddress[]> {
  const name: DescriptorName = accountId === null ? 'cold' : `hot_${type}`;
  const row = await descriptorRow(ctx.sql, name);
  if (!row) throw new PaymentError('unavailable', 'on-chain deposits are not ready yet (the workers have not set up the wallet)');
  const d = deriverOf(row.descriptor, ctx.config.NETWORK);
  const indexes = await ctx.sql<{ i: number }[]>`select nextval(${`onchain_index_${name}`}::regclass)::int as i from generate_series(1, ${count})`;
  const items = indexes.map(({ i }) => ({ address: d.derive(i).address, account_id: accountId, descriptor: name, derivation_index: i }));
  const rows = await ctx.sql<{ address: string; created_at: Date; derivation_index: number }[]>`
    insert into onchain_addresses ${ctx.sql(items, 'address', 'account_id', 'descriptor', 'derivation_index')}
    returning address, created_at, derivation_index`;
  const highest = Math.max(...indexes.map((x) => x.i));
  // Keep the node's range a gap ahead; ask for more at half the gap, once per step.
  if (highest + ctx.config.ONCHAIN_ADDRESS_GAP / 2 >= row.node_range) {
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
