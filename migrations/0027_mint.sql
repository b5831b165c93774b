-- The Cashu mint (core/mint/). Keysets keep only public keys: the private keys are derived
-- from a seed sealed in `secrets`. Spent and pending proofs are unique by Y, blind signatures by
-- B_, so a double spend or an output signed twice is refused by the database whatever the code
-- does. eCash outstanding is a liability on the `mint` system account (`flash ledger check`).

create table mint_keysets (
  id text primary key check (id ~ '^0[01][0-9a-f]+$'),
  unit text not null check (unit ~ '^[a-z]+$'),
  -- Which keys of the seed: each keyset derives its own.
  derivation int not null unique check (derivation >= 0),
  active boolean not null,
  input_fee_ppk int not null check (input_fee_ppk >= 0),
  -- amount → compressed public key (hex).
  keys jsonb not null,
  created_at timestamptz not null default now()
);
create unique index mint_keysets_active on mint_keysets (unit) where active;

-- NUT-04 quotes: an invoice of the `mint` system account (its row in transactions says whether
-- it is paid); `issued` once its outputs are signed.
create table mint_quotes (
  id uuid primary key,
  unit text not null,
  amount int8 not null check (amount > 0),
  transaction_id uuid not null unique,
  request text not null,
  -- NUT-20: the key that must sign the mint request.
  pubkey text check (pubkey ~ '^0[23][0-9a-f]{64}$'),
  issued boolean not null default false,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);

-- NUT-05 quotes. A melt is a saga: PENDING with its inputs pending and its change outputs
-- stored, in one transaction with the payment's reserve (`transaction_id`); then PAID (inputs
-- spent, change signed) or back to UNPAID (inputs released) once the payment is final.
create table melt_quotes (
  id uuid primary key,
  unit text not null,
  request text not null,
  payment_hash text not null,
  amount int8 not null check (amount > 0),
  fee_reserve int8 not null check (fee_reserve >= 0),
  state text not null default 'UNPAID' check (state in ('UNPAID', 'PENDING', 'PAID')),
  -- The current payment (an attempt of the payment engine), and how many melts were tried.
  transaction_id uuid unique,
  attempts int not null default 0,
  -- An invoice of this service: paid inside the ledger.
  internal boolean not null default false,
  inputs_sat int8,
  input_fee_sat int8,
  -- The blank outputs for change (NUT-08), in the wallet's order: change is returned in it.
  outputs jsonb,
  fee_paid_sat int8,
  preimage text,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index melt_quotes_pending on melt_quotes (created_at) where state = 'PENDING';

create table mint_proofs (
  y text primary key check (y ~ '^0[23][0-9a-f]{64}$'),
  keyset_id text not null,
  amount int8 not null check (amount > 0),
  secret text not null,
  c text not null,
  witness text,
  state text not null check (state in ('pending', 'spent')),
  melt_quote uuid,
  created_at timestamptz not null default now()
);
create index mint_proofs_melt on mint_proofs (melt_quote) where melt_quote is not null;

-- Blind signatures given (NUT-09 restores from here); c_ is null for a melt's change output
-- stored before its payment is final.
create table mint_signatures (
  b_ text primary key check (b_ ~ '^0[23][0-9a-f]{64}$'),
  keyset_id text not null,
  amount int8 not null check (amount > 0),
  c_ text,
  dleq_e text,
  dleq_s text,
  melt_quote uuid,
  created_at timestamptz not null default now()
);
create index mint_signatures_melt on mint_signatures (melt_quote) where melt_quote is not null;

-- Errors carry their NUT code in the message as `mint:<code>` (core/mint/errors.ts).

-- Records inputs as spent or pending (for a melt), in Y order (concurrent spends lock in one
-- order). A Y already recorded refuses the whole spend: 11002 when pending, else 11001.
create function mint_spend(p_inputs jsonb, p_state text, p_melt uuid) returns void language plpgsql as $$
declare
  missing text[];
begin
  with ins as (
    insert into mint_proofs (y, keyset_id, amount, secret, c, witness, state, melt_quote)
      select i.y, i.id, i.amount, i.secret, i.c, i.witness, p_state, p_melt
      from jsonb_to_recordset(p_inputs) as i (y text, id text, amount int8, secret text, c text, witness text)
      order by i.y
    on conflict (y) do nothing returning y
  )
  select array_agg(e ->> 'y') into missing from jsonb_array_elements(p_inputs) e where (e ->> 'y') not in (select y from ins);
  if missing is not null then
    if exists (select from mint_proofs where y = any(missing) and state = 'pending') then
      raise exception 'mint:11002';
    end if;
    raise exception 'mint:11001';
  end if;
end $$;

-- Records blind signatures (c_ null: a melt's change placeholder), in B_ order. A B_ already
-- recorded refuses them all: 11004 when it is a placeholder, else 11003.
create function mint_sign(p_outputs jsonb, p_melt uuid) returns void language plpgsql as $$
declare
  missing text[];
begin
  with ins as (
    insert into mint_signatures (b_, keyset_id, amount, c_, dleq_e, dleq_s, melt_quote)
      select o.b_, o.id, o.amount, o.c_, o.e, o.s, p_melt
      from jsonb_to_recordset(p_outputs) as o (b_ text, id text, amount int8, c_ text, e text, s text)
      order by o.b_
    on conflict (b_) do nothing returning b_
  )
  select array_agg(e ->> 'b_') into missing from jsonb_array_elements(p_outputs) e where (e ->> 'b_') not in (select b_ from ins);
  if missing is not null then
    if exists (select from mint_signatures where b_ = any(missing) and c_ is null) then
      raise exception 'mint:11004';
    end if;
    raise exception 'mint:11003';
  end if;
end $$;

-- NUT-03 in one statement: inputs spent, outputs signed, the input fee to `fees`.
create function mint_swap(p_inputs jsonb, p_outputs jsonb, p_fee_msat int8) returns void language plpgsql as $$
begin
  perform mint_spend(p_inputs, 'spent', null);
  perform mint_sign(p_outputs, null);
  if p_fee_msat > 0 then
    perform ledger_post('swap:' || (p_inputs -> 0 ->> 'y'), 'mint.fee', null, null,
      array['00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000005']::uuid[], array[-p_fee_msat, p_fee_msat]);
  end if;
end $$;

-- NUT-04: a paid quote's outputs signed, once. The invoice's credit (lightning → mint) was
-- the ledger's side; anything paid above the quote goes to `fees`.
create function mint_issue(p_quote uuid, p_outputs jsonb) returns void language plpgsql as $$
declare
  q mint_quotes;
  paid int8;
begin
  select * into q from mint_quotes where id = p_quote for update;
  if not found then
    raise exception 'mint:20001:unknown quote';
  end if;
  if q.issued then
    raise exception 'mint:20002';
  end if;
  select amount_msat into paid from transactions where id = q.transaction_id and status = 'succeeded';
  if paid is null then
    raise exception 'mint:20001';
  end if;
  perform mint_sign(p_outputs, null);
  update mint_quotes set issued = true where id = p_quote;
  if paid > q.amount * 1000 then
    perform ledger_post('mint-quote:' || q.id || ':surplus', 'mint.fee', null, null,
      array['00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000005']::uuid[], array[q.amount * 1000 - paid, paid - q.amount * 1000]);
  end if;
end $$;

-- The eCash rail: eCash issued from a holder's balance (the DM bot's `ecash`) is a payment on
-- the engine, reserved into `mint_pending` and settled into `mint` once its token is signed.
insert into accounts (id, kind, code, name) values
  ('00000000-0000-4000-8000-000000000017', 'system', 'mint_pending', 'eCash being issued from holders, not yet signed');
insert into rails (name, pending_account_id, asset_account_id) values
  ('ecash', '00000000-0000-4000-8000-000000000017', '00000000-0000-4000-8000-000000000004');

-- NIP-61 nutzaps: each holder who asks gets a P2PK key (sealed with the master key) that their
-- kind 10019 names; nutzaps (kind 9321) locked to it are redeemed into their balance once each.
create table mint_nutzap_keys (
  account_id uuid primary key,
  pubkey text not null unique check (pubkey ~ '^02[0-9a-f]{64}$'),
  sealed_key text not null,
  created_at timestamptz not null default now()
);
create table mint_nutzaps (
  event_id text primary key check (event_id ~ '^[0-9a-f]{64}$'),
  account_id uuid not null,
  amount_sat int8 not null,
  created_at timestamptz not null default now()
);
