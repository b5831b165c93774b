-- The on-chain rail (core/onchain/, workers/onchain/): Bitcoin Core's wallets, the address
-- index, deposits and their scanner's cursor, batched withdrawals with their transactions
-- (RBF versions), cold storage holdings, and the operator's review list.

-- System accounts: reserves of pending withdrawals; cold storage; coins moving between hot and
-- cold. `onchain` (0003) mirrors the hot wallet. Ids outside 0003's range of fixed ids.
insert into accounts (id, kind, code, name) values
  ('00000000-0000-4000-8000-0000000000c1', 'system', 'onchain_pending', 'On-chain withdrawals reserved, not yet confirmed'),
  ('00000000-0000-4000-8000-0000000000c2', 'system', 'onchain_cold', 'Cold storage (multisig): funds held for holders'),
  ('00000000-0000-4000-8000-0000000000c3', 'system', 'onchain_inflight', 'Coins moving between the hot and cold wallets, not yet confirmed');
insert into rails (name, pending_account_id, asset_account_id) values
  ('onchain', '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-000000000003');

-- The public descriptors addresses are derived from (the hot wallet's receive descriptors, the
-- cold wallet's), and how far the node's wallet knows their scripts (`node_range`: indices
-- below it). Indices come from one sequence per descriptor: no hot row.
create table onchain_descriptors (
  name text primary key check (name in ('hot_p2wpkh', 'hot_p2tr', 'cold')),
  descriptor text not null,
  node_range int not null default 0,
  updated_at timestamptz not null default now()
);
create sequence onchain_index_hot_p2wpkh minvalue 0 start 0;
create sequence onchain_index_hot_p2tr minvalue 0 start 0;
create sequence onchain_index_cold minvalue 0 start 0;

-- The address index: every address we issued, whose it is, how it was derived, what it received.
create table onchain_addresses (
  address text primary key,
  -- Null for our own addresses that belong to no holder (cold storage).
  account_id uuid,
  descriptor text not null,
  derivation_index int not null,
  created_at timestamptz not null default now(),
  first_seen_at timestamptz,
  received_msat int8 not null default 0,
  unique (descriptor, derivation_index)
);
create index onchain_addresses_account on onchain_addresses (account_id, created_at desc) where account_id is not null;

-- Deposits: one per output (txid, vout) paying a wallet address. `pending` seen, not spendable;
-- `credited` spendable; `dropped` gone before it was credited; `held` credited, then reorged
-- below the confirmations needed (under review); `unowned` and `dust` recorded, not credited.
create table onchain_deposits (
  txid text not null check (txid ~ '^[0-9a-f]{64}$'),
  vout int not null,
  address text not null,
  account_id uuid,
  amount_msat int8 not null,
  status text not null check (status in ('pending', 'credited', 'dropped', 'held', 'unowned', 'dust')),
  confirmations int not null,
  block_hash text,
  transaction_id uuid,
  first_seen_at timestamptz not null default now(),
  credited_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (txid, vout)
);
create index onchain_deposits_open on onchain_deposits (status) where status in ('pending', 'held');

-- Where the scanner resumes (listsinceblock's `lastblock`), per wallet.
create table onchain_cursors (wallet text primary key, block_hash text not null, updated_at timestamptz not null default now());

-- Fee rates (sat/vB) by confirmation target, as the node last estimated them (written by the workers).
create table onchain_fee_rates (target int primary key, sat_per_vb numeric not null, updated_at timestamptz not null default now());

-- What the node's wallets hold (sat), as the scanner last read them, for `flash ledger check`.
create table onchain_holdings (
  wallet text primary key check (wallet in ('hot', 'cold')),
  confirmed_sat int8 not null,
  unconfirmed_sat int8 not null,
  block_hash text not null,
  updated_at timestamptz not null default now()
);

-- Batches: one transaction (and its RBF replacements) paying many withdrawals, or a sweep.
-- `signed`: built, signed and recorded before any broadcast, so a crash after the broadcast
-- finds it; `broadcast`; `confirmed` (its `confirmed_txid` version); `failed` (rejected: its
-- payouts went back to the queue).
create table onchain_batches (
  id uuid primary key,
  kind text not null check (kind in ('payout', 'sweep_to_cold', 'cold_to_hot')),
  status text not null check (status in ('signed', 'broadcast', 'confirmed', 'failed')),
  txid text not null,
  amount_sat int8 not null default 0,
  created_at timestamptz not null default now(),
  broadcast_at timestamptz,
  confirmed_at timestamptz,
  confirmed_txid text,
  error text
);
create index onchain_batches_open on onchain_batches (created_at) where status in ('signed', 'broadcast');
create table onchain_batch_txs (
  txid text primary key check (txid ~ '^[0-9a-f]{64}$'),
  batch_id uuid not null,
  hex text not null,
  fee_sat int8 not null,
  fee_rate numeric not null,
  created_at timestamptz not null default now()
);
create index onchain_batch_txs_batch on onchain_batch_txs (batch_id);
-- A withdrawal in a batch: its output and that output's size (its share of the fee). Deleted
-- when the batch fails (the withdrawal is queued again); the key keeps it in one batch at most.
create table onchain_batch_payouts (
  transaction_id uuid primary key,
  batch_id uuid not null,
  vout int not null,
  vbytes int not null
);
create index onchain_batch_payouts_batch on onchain_batch_payouts (batch_id);

-- What the operator must look at: a credited deposit reorged out, a deposit to an address of
-- no account, dust. `resolved_at` when it resolved itself (re-confirmed) or the operator closed it.
create table onchain_reviews (
  id int8 generated always as identity primary key,
  kind text not null check (kind in ('reorg', 'unowned', 'dust')),
  txid text not null,
  vout int not null,
  account_id uuid,
  amount_msat int8 not null,
  detail text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  unique (kind, txid, vout)
);

-- Accounts whose outgoing payments are held, on every rail (a credited deposit of theirs was
-- reorged out: its amount may be gone). Checked when an outgoing payment row is written.
create table payment_holds (
  account_id uuid primary key,
  reason text not null,
  created_at timestamptz not null default now()
);
create function payment_hold_check() returns trigger language plpgsql as $$
begin
  if exists (select from payment_holds where account_id = new.account_id) then
    raise exception 'outgoing payments of account % are held for review', new.account_id using errcode = 'FH001';
  end if;
  return new;
end $$;
create trigger transactions_payment_hold before insert on transactions
  for each row when (new.direction = 'outgoing') execute function payment_hold_check();
