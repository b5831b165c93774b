// Accounts: one user account per Nostr pubkey (made on first use), business accounts,
// sub-wallets of an account (isolated balances for app connections), and system accounts.
import type { Db } from './ledger.ts';
import { HEX32 } from '../hex.ts';

/** System accounts, seeded with fixed ids by migrations/0003_wallet.sql. */
export const systemAccounts = {
  lightning: '00000000-0000-4000-8000-000000000001',
  lightningPending: '00000000-0000-4000-8000-000000000002',
  onchain: '00000000-0000-4000-8000-000000000003',
  mint: '00000000-0000-4000-8000-000000000004',
  fees: '00000000-0000-4000-8000-000000000005',
  equity: '00000000-0000-4000-8000-000000000006',
  mintPending: '00000000-0000-4000-8000-000000000017',
  // On-chain (migrations/0026): withdrawals reserved; cold storage; coins moving between hot and cold.
  onchainPending: '00000000-0000-4000-8000-0000000000c1',
  onchainCold: '00000000-0000-4000-8000-0000000000c2',
  onchainInflight: '00000000-0000-4000-8000-0000000000c3',
} as const;

export type AccountKind = 'user' | 'business' | 'subwallet' | 'system';

export interface Account {
  id: string;
  kind: AccountKind;
  pubkey: string | null;
  parentId: string | null;
  code: string | null;
  name: string | null;
  /** Null for system accounts (see ledger.balance). */
  balanceMsat: bigint | null;
  createdAt: Date;
}

interface Row { id: string; kind: AccountKind; pubkey: string | null; parent_id: string | null; code: string | null; name: string | null; balance_msat: bigint | null; created_at: Date }

const toAccount = (r: Row): Account => ({
  id: r.id, kind: r.kind, pubkey: r.pubkey, parentId: r.parent_id, code: r.code, name: r.name, balanceMsat: r.balance_msat, createdAt: r.created_at,
});


export async function get(db: Db, id: string): Promise<Account | undefined> {
  const [row] = await db<Row[]>`select * from accounts where id = ${id}`;
  return row && toAccount(row);
}

export async function findByPubkey(db: Db, pubkey: string): Promise<Account | undefined> {
  const [row] = await db<Row[]>`select * from accounts where kind = 'user' and pubkey = ${pubkey.toLowerCase()}`;
  return row && toAccount(row);
}

/** The user account of a Nostr pubkey (hex), created on first use; concurrent first uses agree. */
export async function forPubkey(db: Db, pubkey: string): Promise<Account> {
  const key = pubkey.toLowerCase();
  if (!HEX32.test(key)) throw new TypeError('pubkey must be 64 hex characters');
  const [row] = await db<Row[]>`
    insert into accounts (kind, pubkey, balance_msat) values ('user', ${key}, 0)
    on conflict (pubkey) where kind = 'user' do nothing returning *`;
  return row ? toAccount(row) : (await findByPubkey(db, key))!;
}

export async function createBusiness(db: Db, opts: { name: string; pubkey?: string }): Promise<Account> {
  const [row] = await db<Row[]>`
    insert into accounts (kind, name, pubkey, balance_msat) values ('business', ${opts.name}, ${opts.pubkey?.toLowerCase() ?? null}, 0) returning *`;
  return toAccount(row!);
}

/** A sub-wallet: its own balance, owned by `parentId` (e.g. one per wallet-connect app). */
export async function createSubwallet(db: Db, opts: { parentId: string; name: string }): Promise<Account> {
  const [row] = await db<Row[]>`
    insert into accounts (kind, parent_id, name, balance_msat) values ('subwallet', ${opts.parentId}, ${opts.name}, 0) returning *`;
  return toAccount(row!);
}

export async function subwallets(db: Db, parentId: string): Promise<Account[]> {
  return (await db<Row[]>`select * from accounts where parent_id = ${parentId} order by created_at`).map(toAccount);
}
