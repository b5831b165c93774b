-- Wallet: accounts, the double-entry ledger, payments and invoices, the domain-event outbox,
-- and the state of the embedded fake Lightning network.

-- Accounts. Holders (user, business, sub-wallet) keep their balance on the row, updated with
-- every journal; the database refuses a negative one. System accounts (node assets, pending
-- outgoing payments, fees…) may go negative and keep no balance column: their balance is the
-- sum of their postings, so no single hot row serialises every payment.
create table accounts (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('user', 'business', 'subwallet', 'system')),
  pubkey text check (pubkey ~ '^[0-9a-f]{64}$'),
  parent_id uuid references accounts (id),
  code text unique,
  name text,
  balance_msat int8,
  created_at timestamptz not null default now(),
  constraint balance_not_negative check (balance_msat >= 0),
  constraint holder_has_balance check ((kind = 'system') = (balance_msat is null)),
  constraint system_has_code check ((kind = 'system') = (code is not null)),
  constraint subwallet_has_parent check ((kind = 'subwallet') = (parent_id is not null))
);
create unique index accounts_user_pubkey on accounts (pubkey) where kind = 'user';
create index accounts_parent on accounts (parent_id) where parent_id is not null;

-- Fixed ids, so that code names them without a lookup (core/ledger/accounts.ts).
insert into accounts (id, kind, code, name) values
  ('00000000-0000-4000-8000-000000000001', 'system', 'lightning', 'Lightning node: funds held for holders (negative = assets)'),
  ('00000000-0000-4000-8000-000000000002', 'system', 'lightning_pending', 'Outgoing Lightning payments reserved, outcome not yet known'),
  ('00000000-0000-4000-8000-000000000003', 'system', 'onchain', 'On-chain wallet: funds held for holders'),
  ('00000000-0000-4000-8000-000000000004', 'system', 'mint', 'Cashu mint: eCash outstanding'),
  ('00000000-0000-4000-8000-000000000005', 'system', 'fees', 'Fee revenue'),
  ('00000000-0000-4000-8000-000000000006', 'system', 'equity', 'Operator funds and manual adjustments');

-- Journals and postings: append-only; every journal's postings sum to zero.
create table journals (
  id int8 generated always as identity primary key,
  idempotency_key text not null unique,
  kind text not null,
  memo text,
  ref uuid,
  created_at timestamptz not null default now()
);
create index journals_ref on journals (ref) where ref is not null;

create table postings (
  id int8 generated always as identity primary key,
  journal_id int8 not null references journals (id),
  account_id uuid not null references accounts (id),
  amount_msat int8 not null check (amount_msat <> 0)
);
create index postings_account on postings (account_id, id);
create index postings_journal on postings (journal_id);

create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = '55000';
end $$;
create trigger journals_append_only before update or delete or truncate on journals
  for each statement execute function ledger_append_only();
create trigger postings_append_only before update or delete or truncate on postings
  for each statement execute function ledger_append_only();

-- Checked at commit, whoever inserted the journal: at least two postings, summing to zero.
create function journal_balanced() returns trigger language plpgsql as $$
declare
  n int;
  total numeric;
begin
  select count(*), coalesce(sum(amount_msat), 0) into n, total from postings where journal_id = new.id;
  if n < 2 or total <> 0 then
    raise exception 'journal % does not balance (% postings, sum %)', new.idempotency_key, n, total
      using errcode = '23514', constraint = 'journal_balanced';
  end if;
  return null;
end $$;
create constraint trigger journal_balanced after insert on journals
  deferrable initially deferred for each row execute function journal_balanced();

-- Posts a journal in one round trip: idempotent on the key (returns the existing journal with
-- created = false), holder balances updated in account-id order so that concurrent journals
-- lock rows in one order and never deadlock. A balance going below zero fails the statement
-- with balance_not_negative.
create function ledger_post(p_key text, p_kind text, p_memo text, p_ref uuid, p_accounts uuid[], p_amounts int8[])
returns table (journal_id int8, created boolean) language plpgsql as $$
declare
  j int8;
  r record;
begin
  if cardinality(p_accounts) < 2 or cardinality(p_accounts) <> cardinality(p_amounts) then
    raise exception 'journal % needs two or more postings', p_key using errcode = '22023';
  end if;
  if (select sum(a) from unnest(p_amounts) a) <> 0 then
    raise exception 'journal % does not balance', p_key using errcode = '22023';
  end if;
  insert into journals (idempotency_key, kind, memo, ref) values (p_key, p_kind, p_memo, p_ref)
    on conflict (idempotency_key) do nothing returning id into j;
  if j is null then
    return query select id, false from journals where idempotency_key = p_key;
    return;
  end if;
  insert into postings (journal_id, account_id, amount_msat)
    select j, t.a, t.m from unnest(p_accounts, p_amounts) as t (a, m);
  for r in select t.a, sum(t.m)::int8 as d from unnest(p_accounts, p_amounts) as t (a, m) group by t.a order by t.a loop
    update accounts set balance_msat = balance_msat + r.d where id = r.a and balance_msat is not null;
  end loop;
  return query select j, true;
end $$;

-- Payments and invoices, one row per account and direction: an invoice we issued (incoming),
-- a payment we send (outgoing), each side of an internal transfer. The history users see.
create table transactions (
  id uuid primary key default gen_random_uuid(),
  seq int8 generated always as identity unique,
  account_id uuid not null references accounts (id),
  direction text not null check (direction in ('incoming', 'outgoing')),
  kind text not null check (kind in ('lightning', 'internal', 'keysend', 'transfer')),
  status text not null check (status in ('open', 'accepted', 'pending', 'succeeded', 'failed', 'canceled')),
  idempotency_key text not null,
  amount_msat int8 check (amount_msat > 0),
  fee_msat int8 not null default 0 check (fee_msat >= 0),
  fee_reserve_msat int8 not null default 0 check (fee_reserve_msat >= 0),
  payment_hash text,
  preimage text,
  payment_request text,
  destination text,
  description text,
  description_hash text,
  memo text,
  metadata jsonb,
  is_hold boolean not null default false,
  counterparty_account_id uuid references accounts (id),
  failure_reason text,
  failure_message text,
  -- Backend attempts so far; a failure only voids when no later attempt has started.
  attempts int not null default 0,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  settled_at timestamptz,
  unique (account_id, idempotency_key)
);
create index transactions_history on transactions (account_id, seq);
create unique index transactions_invoice on transactions (payment_hash) where direction = 'incoming' and kind = 'lightning';
create index transactions_invoice_request on transactions (payment_request) where direction = 'incoming' and kind = 'lightning';
-- An account never pays the same hash twice; a failed attempt may be tried again.
create unique index transactions_paying_account on transactions (account_id, payment_hash)
  where direction = 'outgoing' and status <> 'failed';
-- Nor do two accounts pay one hash through the node, which would report the first payment to both.
create unique index transactions_paying_node on transactions (payment_hash)
  where direction = 'outgoing' and kind in ('lightning', 'keysend') and status <> 'failed';
create index transactions_pending on transactions (created_at) where status = 'pending';

-- Domain events written in the same transaction as the ledger change, published after commit.
create table event_outbox (
  id int8 generated always as identity primary key,
  type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index event_outbox_unpublished on event_outbox (id) where published_at is null;

-- Where the invoice watcher resumes (the backend's settle index).
create table lightning_cursors (
  name text primary key,
  value int8 not null
);

-- The embedded fake Lightning network (regtest only): nodes whose keys live in `secrets`,
-- their invoices and payments. In PostgreSQL so that it survives restarts and every process
-- (workers, `flash dev pay`) sees the same network.
create table fake_ln_nodes (
  name text primary key,
  pubkey text not null unique
);
create sequence fake_ln_update_index;
create table fake_ln_invoices (
  node text not null references fake_ln_nodes (name),
  payment_hash text not null,
  payment_request text not null,
  preimage text,
  amount_msat int8,
  received_msat int8 not null default 0,
  state text not null check (state in ('open', 'accepted', 'settled', 'canceled')),
  is_hold boolean not null,
  description text,
  description_hash text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  settled_at timestamptz,
  settle_index int8,
  update_index int8,
  primary key (node, payment_hash)
);
create index fake_ln_invoices_updates on fake_ln_invoices (node, update_index) where update_index is not null;
create index fake_ln_invoices_unnumbered on fake_ln_invoices (node) where update_index is null and state <> 'open';
create table fake_ln_payments (
  node text not null references fake_ln_nodes (name),
  payment_hash text not null,
  destination text not null,
  amount_msat int8 not null,
  fee_msat int8 not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  preimage text,
  failure_reason text,
  created_at timestamptz not null default now(),
  completes_at timestamptz not null,
  primary key (node, payment_hash)
);
