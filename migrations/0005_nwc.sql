-- Nostr Wallet Connect (NIP-47): per-app connections and every request they ever made.

-- One row per app connection. The service key is ours (sealed with the master key, bound to
-- the connection's service pubkey); of the client we keep only the public key.
create table nwc_connections (
  id uuid primary key default gen_random_uuid(),
  -- The user who owns the connection.
  account_id uuid not null references accounts (id),
  -- Where payments draw from and invoices credit: the user's account, or an isolated sub-wallet.
  wallet_account_id uuid not null references accounts (id),
  name text not null,
  service_pubkey text not null unique check (service_pubkey ~ '^[0-9a-f]{64}$'),
  service_secret text not null,
  client_pubkey text not null check (client_pubkey ~ '^[0-9a-f]{64}$'),
  -- NIP-47 methods it may call, plus `notifications` when it may receive them.
  scopes text[] not null,
  budget_msat int8 check (budget_msat > 0),
  budget_renewal text not null default 'never' check (budget_renewal in ('daily', 'weekly', 'monthly', 'yearly', 'never')),
  lud16 text,
  expires_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index nwc_connections_account on nwc_connections (account_id, created_at);
create index nwc_connections_wallet on nwc_connections (wallet_account_id) where revoked_at is null;

-- Every request event, recorded before anything it asks for is done: an event id runs at most
-- once, and a repeat is answered with the stored response. `transaction_id` links a payment
-- made for the request (set in the transaction that reserves it): budgets sum over these.
create table nwc_requests (
  event_id text primary key check (event_id ~ '^[0-9a-f]{64}$'),
  connection_id uuid not null references nwc_connections (id),
  method text,
  -- Who sent it and in which scheme, to answer later (a payment that completes after the wait).
  author text not null,
  encryption text not null,
  status text not null default 'processing' check (status in ('processing', 'done')),
  -- The process that runs it; another process takes over a request left processing by a dead one.
  instance text not null,
  transaction_id uuid references transactions (id),
  -- The signed response event (kind 23195), published again for a repeat.
  response jsonb,
  created_at timestamptz not null default now(),
  answered_at timestamptz
);
create index nwc_requests_budget on nwc_requests (connection_id, created_at) where transaction_id is not null;
create index nwc_requests_transaction on nwc_requests (transaction_id) where transaction_id is not null and status = 'processing';
