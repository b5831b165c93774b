-- The DM bot: which direct messages it has taken (each at most once, ever), its users'
-- settings, payments waiting for a "yes", and payments answered "in flight".

-- Every id a DM arrived under: the NIP-04 event id; the NIP-17 gift wrap id and rumor id.
-- Inserted before any side effect; a conflict means "seen already": skip.
create table dm_messages (
  id text primary key check (id ~ '^[0-9a-f]{64}$'),
  sender text not null check (sender ~ '^[0-9a-f]{64}$'),
  received_at timestamptz not null default now()
);

-- Per user: the reply language (null: the default) and the scheme they last wrote in, which
-- notices (invoice paid, payment finished, money received) use.
create table dm_users (
  pubkey text primary key check (pubkey ~ '^[0-9a-f]{64}$'),
  lang text check (lang in ('en', 'es', 'ja')),
  scheme text check (scheme in ('nip04', 'nip17')),
  updated_at timestamptz not null default now()
);

-- One payment per user waiting for "yes" (a newer one replaces it). `dm_id` is the command's
-- DM id: the payment's idempotency key derives from it, so two "yes" pay once.
create table dm_confirmations (
  pubkey text primary key check (pubkey ~ '^[0-9a-f]{64}$'),
  dm_id text not null,
  payment jsonb not null,
  expires_at timestamptz not null
);

-- Payments whose reply said "in flight": whoever deletes the row (the reply path that sees
-- the outcome first, or the event consumer) sends the outcome, so it is told exactly once.
create table dm_awaiting (
  transaction_id uuid primary key,
  pubkey text not null check (pubkey ~ '^[0-9a-f]{64}$'),
  dm_id text not null,
  scheme text not null check (scheme in ('nip04', 'nip17')),
  created_at timestamptz not null default now()
);

-- Notices sent for domain events (delivered at least once): one per event type and transaction.
create table dm_notices (
  key text primary key,
  sent_at timestamptz not null default now()
);
