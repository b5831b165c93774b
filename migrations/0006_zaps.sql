-- Lightning addresses and zaps: usernames, zap receipts with per-relay delivery, business
-- accounts and their zap batches. Money itself lives in the wallet's tables (0003).

-- One name per user (`name@` our domain); every user also has an address by npub, unstored.
create table usernames (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{1,30}[a-z0-9]$'),
  pubkey text not null unique check (pubkey ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Users who handed the service a key to sign their zap requests (sealed under the master key).
create table zap_signers (
  pubkey text primary key check (pubkey ~ '^[0-9a-f]{64}$'),
  sealed_key text not null,
  created_at timestamptz not null default now()
);

-- A zap receipt, signed once (so every retry publishes the same event), per paid zap invoice.
create table zap_receipts (
  payment_hash text primary key,
  event_id text not null unique,
  event jsonb not null,
  created_at timestamptz not null default now()
);

-- Where each receipt must go (the request's relays and our own), and how that went.
create table zap_receipt_deliveries (
  payment_hash text not null references zap_receipts (payment_hash),
  relay text not null,
  status text not null default 'pending' check (status in ('pending', 'published', 'failed')),
  attempts int not null default 0,
  last_error text,
  published_at timestamptz,
  primary key (payment_hash, relay)
);
create index zap_receipt_deliveries_pending on zap_receipt_deliveries (payment_hash) where status = 'pending';

-- A business: a business account of the ledger, authenticated by its own Nostr key (NIP-98);
-- optionally a key it registered for the service to sign its zap requests with.
create table businesses (
  account_id uuid primary key references accounts (id),
  pubkey text not null unique check (pubkey ~ '^[0-9a-f]{64}$'),
  name text not null,
  sealed_signing_key text,
  concurrency int not null check (concurrency between 1 and 256),
  created_at timestamptz not null default now()
);

create table zap_batches (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references businesses (account_id),
  idempotency_key text not null,
  request_hash text not null,
  amount_msat int8 not null check (amount_msat > 0),
  comment text not null default '',
  event text,
  relays text[] not null default '{}',
  status text not null default 'running' check (status in ('running', 'finished')),
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (business_id, idempotency_key)
);

create table zap_batch_lines (
  batch_id uuid not null references zap_batches (id),
  line int not null,
  recipient text not null,
  recipient_pubkey text,
  route text check (route in ('internal', 'external')),
  idempotency_key text not null,
  zap_request text,
  status text not null default 'queued' check (status in ('queued', 'pending', 'paid', 'failed')),
  reason text,
  payment_hash text,
  preimage text,
  fee_msat int8,
  transaction_id uuid,
  receipt_seen boolean not null default false,
  updated_at timestamptz not null default now(),
  primary key (batch_id, line),
  unique (batch_id, idempotency_key)
);
create index zap_batch_lines_payment_hash on zap_batch_lines (payment_hash) where payment_hash is not null;
