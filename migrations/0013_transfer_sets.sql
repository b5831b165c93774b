-- Group-committed transfers (0011) written set-wise, with the balances last.
--
-- payment_transfers used to lock every holder of the batch first and then run payment_transfer
-- item by item, so a batch held its locks for its whole run and two batches sharing any
-- account (nearly always) ran one after the other. Now each kind of row is written by one
-- statement for the whole batch, and the holders are locked (in account-id order, as before)
-- only for the balance update at the end. The batch still means exactly what running its
-- items one by one in order means: the check below refuses it when any holder would dip below
-- zero after any item, not only at the end; the caller then runs each item alone
-- (core/group-commit.ts) so that each gets its own outcome.
-- p_items: [{"from", "to", "amount" (decimal string), "key", "incomingKey", "memo", "metadata"}]
create or replace function payment_transfers(p_items jsonb) returns setof transactions language plpgsql as $$
begin
  if exists (select from jsonb_to_recordset(p_items) as i ("from" uuid, "to" uuid)
      cross join lateral (values (i."from"), (i."to")) as v (id)
      where not exists (select from accounts a where a.id = v.id and a.kind <> 'system')) then
    raise exception 'no such account' using errcode = 'P0002';
  end if;

  -- As payment_transfer: a succeeded row on each side, the journal transfer:<sender row id> with
  -- its two postings, a payment.sent and a payment.received event; the senders' rows in order.
  return query
  with items as (
    select * from rows from (jsonb_to_recordset(p_items)
      as ("from" uuid, "to" uuid, amount int8, key text, "incomingKey" text, memo text, metadata jsonb))
      with ordinality as r ("from", "to", amount, key, incoming_key, memo, metadata, ord)
  ), sent as (
    insert into transactions as t (account_id, direction, kind, status, idempotency_key, amount_msat, memo, metadata, counterparty_account_id, settled_at)
      select "from", 'outgoing', 'transfer', 'succeeded', key, amount, memo, metadata, "to", now() from items order by ord
      returning t
  ), got as (
    insert into transactions as t (account_id, direction, kind, status, idempotency_key, amount_msat, memo, metadata, counterparty_account_id, settled_at)
      select "to", 'incoming', 'transfer', 'succeeded', incoming_key, amount, memo, metadata, "from", now() from items order by ord
      returning t
  ), pairs as (
    select i.ord, sent.t as s, got.t as g from items i
      join sent on (sent.t).account_id = i."from" and (sent.t).idempotency_key = i.key
      join got on (got.t).account_id = i."to" and (got.t).idempotency_key = i.incoming_key
  ), posted as (
    insert into journals (idempotency_key, kind, memo, ref)
      select 'transfer:' || (s).id, 'transfer', (s).memo, (s).id from pairs order by ord
      returning id, ref
  ), postings_written as (
    insert into postings (journal_id, account_id, amount_msat)
      select j.id, x.account, x.amount from posted j join pairs on (pairs.s).id = j.ref
        cross join lateral (values ((s).account_id, -(s).amount_msat), ((g).account_id, (g).amount_msat)) as x (account, amount)
  ), events as (
    insert into event_outbox (type, payload)
      select x.type, x.payload from pairs
        cross join lateral (values (1, 'payment.sent', transaction_event('payment.sent', s)),
                                   (2, 'payment.received', transaction_event('payment.received', g))) as x (n, type, payload)
      order by ord, x.n
  )
  select (s).* from pairs order by ord;

  -- The balances: holders locked in account-id order (as ledger_post locks them), checked as if
  -- the items ran one by one, then each moved once by its net amount.
  perform 1 from accounts
    where id in (select (e ->> 'from')::uuid from jsonb_array_elements(p_items) e
                 union select (e ->> 'to')::uuid from jsonb_array_elements(p_items) e)
    order by id for no key update;
  if exists (
    select from (
      select m.account, sum(m.amount) over (partition by m.account order by i.ord) as run
        from rows from (jsonb_to_recordset(p_items) as ("from" uuid, "to" uuid, amount int8)) with ordinality as i ("from", "to", amount, ord)
        cross join lateral (values (i."from", -i.amount), (i."to", i.amount)) as m (account, amount)
    ) r join accounts a on a.id = r.account
    where a.balance_msat + r.run < 0) then
    raise exception 'insufficient balance' using errcode = '23514', constraint = 'balance_not_negative';
  end if;
  update accounts a set balance_msat = a.balance_msat + d.net
    from (select m.account, sum(m.amount) as net
            from jsonb_to_recordset(p_items) as i ("from" uuid, "to" uuid, amount int8)
            cross join lateral (values (i."from", -i.amount), (i."to", i.amount)) as m (account, amount)
            group by m.account) d
    where a.id = d.account and d.net <> 0;
end $$;
