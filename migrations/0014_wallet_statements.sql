-- Less work per payment for PostgreSQL.
--
-- transactions.seq keeps its identity, but not its own unique index: nothing looks a row up by
-- seq alone (history pages use transactions_history (account_id, seq)), and the index cost an
-- insertion on every new row and on every status change.
alter table transactions drop constraint transactions_seq_key;

-- ledger_post (0003) with the same meaning, but it updates only holder balances: system
-- accounts keep none, and each payment's journals name two or three of them, which used to
-- cost an UPDATE statement each that matched nothing. Holders are still updated one by one in
-- account-id order, so that concurrent journals lock rows in one order and never deadlock.
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
