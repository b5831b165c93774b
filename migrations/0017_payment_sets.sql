-- Outgoing payments written set-wise, as transfers are since 0013: the reserves, attempt starts
-- and finishes that arrive together are one statement each (core/payments/pay.ts group-commits
-- them), instead of one statement per payment. On two cores most of a payment's database CPU
-- was per statement (executor start-up: opening seven indexes, compiling six check constraints
-- and five partial-index predicates, one commit), not per row.

-- Postings lose their foreign keys. Each check locked the named account's row FOR KEY SHARE, and
-- every payment names the same two or three system accounts: every posting wrote a lock on one
-- of a handful of hot rows (a multixact when they overlapped). The ledger functions below check
-- that every account exists before they post; journals and postings are append-only (0003),
-- accounts are made permanent here, and `flash ledger check` proves no posting names a missing
-- journal or account.
alter table postings drop constraint postings_journal_id_fkey;
alter table postings drop constraint postings_account_id_fkey;
create function accounts_permanent() returns trigger language plpgsql as $$
begin
  raise exception 'accounts are never deleted nor renumbered' using errcode = '55000';
end $$;
create trigger accounts_permanent before delete or truncate on accounts
  for each statement execute function accounts_permanent();
create trigger accounts_id_permanent before update of id on accounts
  for each row when (old.id is distinct from new.id) execute function accounts_permanent();

-- The fake node's two rows were such hot rows too (every fake invoice and payment names one).
-- Nodes are only ever added.
alter table fake_ln_invoices drop constraint fake_ln_invoices_node_fkey;
alter table fake_ln_payments drop constraint fake_ln_payments_node_fkey;

-- Posts many journals in one go, each as ledger_post does one. The arrays are parallel, one
-- element per posting, each posting carrying its journal's key, kind, memo and ref; journals
-- are written in the order their keys first appear. A key posted before changes nothing (its
-- journal is returned with created = false). Then the holders are locked in account-id order
-- (so concurrent calls never wait on each other in a cycle) and refused (balance_not_negative)
-- if any would be below zero after any journal taken in order (a netted sum alone would let a
-- later credit cover an earlier overdraft); each balance then moves once, by its net amount.
create function ledger_post_set(p_keys text[], p_kinds text[], p_memos text[], p_refs uuid[], p_accounts uuid[], p_amounts int8[])
returns table (idempotency_key text, journal_id int8, created boolean) language plpgsql as $$
declare
  n int := cardinality(p_amounts);
  fresh text[];
begin
  if cardinality(p_keys) is distinct from n or cardinality(p_kinds) is distinct from n or cardinality(p_memos) is distinct from n
     or cardinality(p_refs) is distinct from n or cardinality(p_accounts) is distinct from n then
    raise exception 'ledger_post_set needs a key, kind, memo, ref, account and amount for each posting' using errcode = '22023';
  end if;
  if exists (select from unnest(p_keys, p_amounts) as p (k, m) group by p.k having count(*) < 2 or sum(p.m) <> 0) then
    raise exception 'a journal needs two or more postings that sum to zero' using errcode = '22023';
  end if;
  if exists (select from unnest(p_accounts) as p (a) where not exists (select from accounts where id = p.a)) then
    raise exception 'no such account' using errcode = '23503';
  end if;

  with j as (
    insert into journals as j (idempotency_key, kind, memo, ref)
      select f.k, f.kind, f.memo, f.ref from (
        select distinct on (u.k) u.k, u.kind, u.memo, u.ref, u.n
          from unnest(p_keys, p_kinds, p_memos, p_refs) with ordinality as u (k, kind, memo, ref, n)
        order by u.k, u.n) f
      order by f.n
      on conflict on constraint journals_idempotency_key_key do nothing
      returning j.id, j.idempotency_key
  ), p as (
    insert into postings (journal_id, account_id, amount_msat)
      select j.id, u.a, u.m from unnest(p_keys, p_accounts, p_amounts) with ordinality as u (k, a, m, n)
        join j on j.idempotency_key = u.k
      order by u.n
  )
  select coalesce(array_agg(j.idempotency_key), '{}') into fresh from j;

  perform 1 from accounts
    where id in (select u.a from unnest(p_keys, p_accounts) as u (k, a) where u.k = any(fresh)) and balance_msat is not null
    order by id for no key update;
  if exists (
    with u as (
      select u.a, u.m, min(u.n) over (partition by u.k) as jn
        from unnest(p_keys, p_accounts, p_amounts) with ordinality as u (k, a, m, n) where u.k = any(fresh)
    ), per_journal as (select u.a, u.jn, sum(u.m) as d from u group by u.a, u.jn)
    select from (select p.a, sum(p.d) over (partition by p.a order by p.jn) as run from per_journal p) r
      join accounts h on h.id = r.a
    where h.balance_msat + r.run < 0) then
    raise exception 'insufficient balance' using errcode = '23514', constraint = 'balance_not_negative';
  end if;
  update accounts h set balance_msat = h.balance_msat + d.net
    from (select u.a, sum(u.m)::int8 as net from unnest(p_keys, p_accounts, p_amounts) as u (k, a, m)
          where u.k = any(fresh) group by u.a) d
    where h.id = d.a and h.balance_msat is not null and d.net <> 0;

  return query select jr.idempotency_key, jr.id, jr.idempotency_key = any(fresh)
    from journals jr where jr.idempotency_key in (select distinct u.k from unnest(p_keys) as u (k));
end $$;

-- ledger_post (0014), now checking that the accounts exist (the foreign key did). It stays a
-- function of its own rather than ledger_post_set's set of one: a lone journal needs no check
-- in order (the balance constraint suffices) and half the statements, and bare journals ran at
-- about half the rate through ledger_post_set.
create or replace function ledger_post(p_key text, p_kind text, p_memo text, p_ref uuid, p_accounts uuid[], p_amounts int8[])
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
  if exists (select from unnest(p_accounts) as p (a) where not exists (select from accounts where id = p.a)) then
    raise exception 'journal % names no such account', p_key using errcode = '23503';
  end if;
  insert into journals (idempotency_key, kind, memo, ref) values (p_key, p_kind, p_memo, p_ref)
    on conflict (idempotency_key) do nothing returning id into j;
  if j is null then
    return query select id, false from journals where idempotency_key = p_key;
    return;
  end if;
  insert into postings (journal_id, account_id, amount_msat)
    select j, t.a, t.m from unnest(p_accounts, p_amounts) as t (a, m);
  for r in select t.a, sum(t.m)::int8 as d from unnest(p_accounts, p_amounts) as t (a, m)
      join accounts h on h.id = t.a and h.balance_msat is not null
      group by t.a having sum(t.m) <> 0 order by t.a loop
    update accounts set balance_msat = balance_msat + r.d where id = r.a;
  end loop;
  return query select j, true;
end $$;

-- Reserves for outgoing payments (core/payments/pay.ts reserve, without a budget hook): each
-- item is a new pending payment row (id, account_id, kind, idempotency_key, amount_msat,
-- fee_reserve_msat, payment_hash, … as the table's columns) whose journal pay:<id>:reserve moves
-- amount + fee reserve from the holder to lightning_pending. Rows first, so that a reused key
-- or a hash paid already fails before any balance is locked; returns the rows in item order.
create function payment_reserves(p_items jsonb) returns setof transactions language plpgsql as $$
begin
  return query
  with items as (
    select * from rows from (jsonb_populate_recordset(null::transactions, p_items)) with ordinality as i
  ), written as (
    insert into transactions as t (id, account_id, direction, kind, status, idempotency_key, amount_msat, fee_reserve_msat,
        payment_hash, preimage, payment_request, destination, description, description_hash, memo, metadata, expires_at)
      select id, account_id, 'outgoing', kind, 'pending', idempotency_key, amount_msat, fee_reserve_msat,
        payment_hash, preimage, payment_request, destination, description, description_hash, memo, metadata, expires_at
      from items order by ordinality
      returning t.*
  )
  select w.* from written w join items i on i.id = w.id order by i.ordinality;

  perform ledger_post_set(array_agg('pay:' || i.id || ':reserve' order by i.n, x.o), array_agg('payment.reserve'::text order by i.n, x.o),
      array_agg(null::text order by i.n, x.o), array_agg(i.id order by i.n, x.o), array_agg(x.a order by i.n, x.o),
      array_agg(x.m order by i.n, x.o))
    from rows from (jsonb_to_recordset(p_items) as (id uuid, account_id uuid, amount_msat int8, fee_reserve_msat int8))
      with ordinality as i (id, account_id, amount_msat, fee_reserve_msat, n)
    cross join lateral (values (1, i.account_id, -(i.amount_msat + i.fee_reserve_msat)),
                               (2, '00000000-0000-4000-8000-000000000002'::uuid, i.amount_msat + i.fee_reserve_msat)) as x (o, a, m);
end $$;

-- Settles or voids pending outgoing payments, each once, as payment_finish (0010) did one:
-- items {id, attempt, succeeded, preimage, fee, reason, message}. A failure voids only if its
-- attempt is still the latest (a later one may yet succeed). A settle moves amount + reserve
-- out of lightning_pending: amount + node fee to lightning, the unused reserve back to the
-- holder, the margin (fee capped at the reserve) to fees; a void moves it all back. The rows
-- are locked in id order first; an id may appear once. Returns every item's row in item order,
-- finished or as it was (none for an unknown id).
create function payment_finishes(p_items jsonb) returns setof transactions language plpgsql as $$
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
        preimage = case when i.succeeded then i.preimage else t.preimage end,
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
    cross join lateral (values
        (1, '00000000-0000-4000-8000-000000000002'::uuid, -(t.amount_msat + t.fee_reserve_msat)),
        (2, '00000000-0000-4000-8000-000000000001'::uuid, case when t.status = 'succeeded' then t.amount_msat + i.fee else 0 end),
        (3, t.account_id, case when t.status = 'succeeded' then t.fee_reserve_msat - t.fee_msat else t.amount_msat + t.fee_reserve_msat end),
        (4, '00000000-0000-4000-8000-000000000005'::uuid, case when t.status = 'succeeded' then t.fee_msat - i.fee else 0 end)) as x (o, a, m)
    where x.m <> 0;

  return query select t.* from jsonb_array_elements(p_items) with ordinality as e (item, n)
    join transactions t on t.id = (e.item ->> 'id')::uuid order by e.n;
end $$;
drop function payment_finish(uuid, int, boolean, text, int8, text, text);

