-- Flash Cards (core/cards/): Boltcard NFC cards that spend from their holder's balance through
-- LNURL-withdraw. A card payment is a Lightning payment of the holder's account; the tap that
-- allowed it names it (card_taps.transaction_id) and its metadata names the card.
create table cards (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  name text not null check (length(name) between 1 and 100),
  -- K0–K4 as JSON, sealed with the master key (purpose `card:<id>`).
  keys_sealed text not null,
  -- Learned from the first tap whose MAC checks; a later tap must come from the same chip.
  uid text check (uid ~ '^[0-9a-f]{14}$'),
  -- The highest SUN read counter accepted (24 bits); a tap must bring a higher one.
  counter integer not null default 0 check (counter between 0 and 16777215),
  enabled boolean not null default true,
  tap_limit_msat int8 not null check (tap_limit_msat > 0),
  day_limit_msat int8 not null check (day_limit_msat > 0),
  -- The one-time programming link: the SHA-256 of its code, cleared once the app has read it.
  program_code_hash text unique,
  program_expires_at timestamptz,
  programmed_at timestamptz,
  wiped_at timestamptz,
  created_at timestamptz not null default now()
);
create index cards_account on cards (account_id, created_at);

-- One row per accepted tap: the LNURL-withdraw `k1` it handed out (single use, short-lived) and,
-- once its callback reserved a payment, that payment (set in the reserving transaction, so one
-- k1 pays at most once).
create table card_taps (
  k1 text primary key check (k1 ~ '^[0-9a-f]{64}$'),
  card_id uuid not null references cards (id),
  counter integer not null,
  expires_at timestamptz not null,
  transaction_id uuid unique,
  created_at timestamptz not null default now()
);
create index card_taps_spent on card_taps (card_id, created_at) where transaction_id is not null;
-- Taps never paid are pruned after RETENTION_DAYS (core/retention.ts).
create index card_taps_unpaid on card_taps (created_at) where transaction_id is null;

-- What a card spent today (UTC): its payments pending or succeeded, by when they were made.
-- The daily limit's one definition, read by the tap and by the reserve guard.
create function card_spent_today(p_card uuid) returns int8 language sql stable as $$
  select coalesce(sum(t.amount_msat), 0)::int8
  from card_taps k join transactions t on t.id = k.transaction_id
  where k.card_id = p_card and k.transaction_id is not null and t.status in ('pending', 'succeeded')
    and t.created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'
$$;
