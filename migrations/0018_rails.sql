-- One payment engine for every rail (core/payments/rails.ts). A rail (Lightning now; on-chain,
-- eCash, … later) names the system accounts its payments move through; the set functions read
-- them from here instead of hard-coding Lightning's. A migration that adds a rail adds its
-- system accounts and its row.
create table rails (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  -- Holds the reserves of the rail's pending outgoing payments (amount + fee reserve).
  pending_account_id uuid not null references accounts (id),
  -- Mirrors what the rail's backend holds for holders (minus it: a system account goes negative).
  asset_account_id uuid not null references accounts (id)
);
insert into rails (name, pending_account_id, asset_account_id) values
  ('lightning', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001');

-- Transactions of any rail. `kind` is open (each rail names its own kinds: lightning and keysend
-- here, later e.g. onchain, ecash); `rail` is the rail that moves the money outside the ledger
-- (null for moves inside it: transfers, our own invoices paid internally), with no foreign key:
-- every payment names one of a handful of rails rows, which a key check would lock. The set
-- functions refuse an unknown rail. `rail_ref` is the rail's own reference (a txid:vout, a mint
-- quote id, a card id) and `rail_data` what else the rail records, so that no rail needs
-- columns of its own.
alter table transactions drop constraint transactions_kind_check;
alter table transactions add constraint transactions_kind_check check (kind ~ '^[a-z][a-z0-9_]*$');
alter table transactions add column rail text, add column rail_ref text, add column rail_data jsonb;
update transactions set rail = 'lightning' where kind in ('lightning', 'keysend');
create index transactions_rail_ref on transactions (rail, rail_ref) where rail_ref is not null;

-- The event payload gains the rail's reference when there is one (absent for Lightning, whose
-- events are unchanged on the wire).
create or replace function transaction_event(p_type text, t transactions) returns jsonb language plpgsql immutable as $$
begin
  return jsonb_strip_nulls(jsonb_build_object(
      'type', p_type, 'accountId', t.account_id, 'transactionId', t.id, 'kind', t.kind,
      'amountMsat', coalesce(t.amount_msat, 0)::text, 'feeMsat', t.fee_msat::text,
      'paymentHash', t.payment_hash, 'preimage', t.preimage, 'paymentRequest', t.payment_request,
      'description', t.description, 'descriptionHash', t.description_hash, 'memo', t.memo,
      'counterpartyAccountId', t.counterparty_account_id, 'railRef', t.rail_ref, 'reason', t.failure_reason))
    || case when t.metadata is null then '{}'::jsonb else jsonb_build_object('metadata', t.metadata) end;
end $$;

-- payment_reserves (0017) for any rail: each item names its rail, whose pending account takes
-- amount + fee reserve from the holder.
create or replace function payment_reserves(p_items jsonb) returns setof transactions language plpgsql as $$
begin
  if exists (select from jsonb_to_recordset(p_items) as i (rail text) where not exists (select from rails r where r.name = i.rail)) then
    raise exception 'a payment names no such rail' using errcode = '22023';
  end if;
  return query
  with items as (
    select * from rows from (jsonb_populate_recordset(null::transactions, p_items)) with ordinality as i
  ), written as (
    insert into transactions as t (id, account_id, direction, kind, rail, status, idempotency_key, amount_msat, fee_reserve_msat,
        payment_hash, preimage, payment_request, destination, description, description_hash, memo, metadata, expires_at,
        rail_ref, rail_data)
      select id, account_id, 'outgoing', kind, rail, 'pending', idempotency_key, amount_msat, fee_reserve_msat,
        payment_hash, preimage, payment_request, destination, description, description_hash, memo, metadata, expires_at,
        rail_ref, rail_data
      from items order by ordinality
      returning t.*
  )
  select w.* from written w join items i on i.id = w.id order by i.ordinality;

  perform ledger_post_set(array_agg('pay:' || i.id || ':reserve' order by i.n, x.o), array_agg('payment.reserve'::text order by i.n, x.o),
      array_agg(null::text order by i.n, x.o), array_agg(i.id order by i.n, x.o), array_agg(x.a order by i.n, x.o),
      array_agg(x.m order by i.n, x.o))
    from rows from (jsonb_to_recordset(p_items) as (id uuid, account_id uuid, amount_msat int8, fee_reserve_msat int8, rail text))
      with ordinality as i (id, account_id, amount_msat, fee_reserve_msat, rail, n)
    join rails r on r.name = i.rail
    cross join lateral (values (1, i.account_id, -(i.amount_msat + i.fee_reserve_msat)),
                               (2, r.pending_account_id, i.amount_msat + i.fee_reserve_msat)) as x (o, a, m);
end $$;

-- payment_finishes (0017) for any rail: a settle moves amount + fee out of the payment's rail's
-- pending account to its asset account, the unused reserve back to the holder and the margin to
-- fees; a void moves it all back. Otherwise as before.
create or replace function payment_finishes(p_items jsonb) returns setof transactions language plpgsql as $$
declare
  finished uuid[];
begin
  perform 1 from transactions where id in (select (e ->> 'id')::uuid from jsonb_array_elements(p_items) e) order by id for update;
  with items as (
    select * from jsonb_to_recordset(p_items) as (id uuid, attempt int, succeeded boolean, preimage text, fee int8, reason text, message text)
  ), done as (
    update transactions t set
        status = case when i.succeeded then 'succeeded' else 'failed' end,
        fee_msat = case when i.succeeded then least(i.fee, t.fee_reserve_msat) else t.fee_msat end,
        preimage = case when i.succeeded then coalesce(i.preimage, t.preimage) else t.preimage end,
        settled_at = case when i.succeeded then now() end,
        failure_reason = case when i.succeeded then null else i.reason end,
        failure_message = case when i.succeeded then null else i.message end
      from items i
      where t.id = i.id and t.status = 'pending' and (i.succeeded or t.attempts = i.attempt)
      returning t.*
  ), events as (
    insert into event_outbox (type, payload)
      select e.type, transaction_event(e.type, d) from done d
        cross join lateral (values (case when d.status = 'succeeded' then 'payment.sent' else 'payment.failed' end)) as e (type)
  )
  select coalesce(array_agg(d.id), '{}') into finished from done d;

  perform ledger_post_set(array_agg('pay:' || t.id || ':finish' order by i.n, x.o),
      array_agg(case when t.status = 'succeeded' then 'payment.settle' else 'payment.void' end order by i.n, x.o),
      array_agg(null::text order by i.n, x.o), array_agg(t.id order by i.n, x.o), array_agg(x.a order by i.n, x.o),
      array_agg(x.m order by i.n, x.o))
    from rows from (jsonb_to_recordset(p_items) as (id uuid, fee int8)) with ordinality as i (id, fee, n)
    join transactions t on t.id = i.id and t.id = any(finished)
    join rails r on r.name = t.rail
    cross join lateral (values
        (1, r.pending_account_id, -(t.amount_msat + t.fee_reserve_msat)),
        (2, r.asset_account_id, case when t.status = 'succeeded' then t.amount_msat + i.fee else 0 end),
        (3, t.account_id, case when t.status = 'succeeded' then t.fee_reserve_msat - t.fee_msat else t.amount_msat + t.fee_reserve_msat end),
        (4, '00000000-0000-4000-8000-000000000005'::uuid, case when t.status = 'succeeded' then t.fee_msat - i.fee else 0 end)) as x (o, a, m)
    where x.m <> 0;

  return query select t.* from jsonb_array_elements(p_items) with ordinality as e (item, n)
    join transactions t on t.id = (e.item ->> 'id')::uuid order by e.n;
end $$;
