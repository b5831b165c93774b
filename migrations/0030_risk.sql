-- Risk controls (core/risk/): account levels and limits, freezes, the kill switch, the solvency
-- watchdog's reports, operator alerts and the audit log of operator actions.

-- Per-account settings, on the account that owns them (a sub-wallet follows its parent's).
-- No row: the default level, no overrides, not frozen.
create table risk_accounts (
  account_id uuid primary key references accounts (id),
  level smallint check (level between 0 and 9),
  -- Overrides of the level's limits, same shape as a level in RISK_LEVELS (core/risk/limits.ts).
  limits jsonb,
  frozen_at timestamptz,
  frozen_reason text,
  updated_at timestamptz not null default now()
);

-- One row: the kill switch (outgoing payments on every rail paused) and the watchdog's last report.
create table risk_state (
  id boolean primary key default true check (id),
  paused_at timestamptz,
  paused_by text,
  paused_reason text,
  solvency jsonb,
  solvency_at timestamptz
);
insert into risk_state default values;

-- Every operator action (CLI, DM, API) and every automatic one (the watchdog), append-only.
create table risk_audit (
  id int8 generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  via text not null check (via in ('cli', 'dm', 'api', 'system')),
  action text not null,
  subject text,
  reason text,
  details jsonb
);
create trigger risk_audit_append_only before update or delete or truncate on risk_audit
  for each statement execute function ledger_append_only();

-- Operator alerts: one row per alert key (de-duplication); sent_at once delivered.
create table risk_alerts (
  key text primary key,
  kind text not null,
  text text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);

-- The rolling 24-hour sums of an account's outgoing payments.
create index transactions_outgoing_window on transactions (account_id, created_at) where direction = 'outgoing';

-- Refusals are raised with SQLSTATE FR001 and a JSON detail (core/risk/refusals.ts reads it).
create function risk_refuse(p_detail jsonb) returns void language plpgsql as $$
begin
  raise exception '%', p_detail ->> 'code' using errcode = 'FR001', detail = p_detail::text;
end $$;

-- Checks the outgoing rows just written (their balances already moved and locked, so racing
-- payments of one account have committed or wait): the kill switch (rails only; transfers stay
-- open), the sender's freeze, per-payment maximum, rolling 24 h sum per rail (`internal` for
-- moves inside the ledger) and the recipient's maximum balance for moves inside the ledger.
-- One statement finds the first refusal of the batch (statements, not rows, are what cost).
-- p_levels: {"default": n, "levels": {"0": {maxPaymentMsat, maxBalanceMsat, daily: {"<rail>:outgoing" | "*:outgoing": msat}}}}.
create function risk_check(p_rows transactions[], p_levels jsonb) returns void language plpgsql as $$
declare
  v record;
  resets timestamptz;
begin
  with sent as (select * from unnest(p_rows) r where r.direction = 'outgoing'),
  groups as (
    select s.account_id, coalesce(s.rail, 'internal') as rail, sum(s.amount_msat)::int8 as batch, max(s.amount_msat) as largest,
        array_agg(s.id) as ids, ra.frozen_reason, ra.frozen_at is not null as frozen,
        (lv.base - 'daily') || (coalesce(ra.limits, '{}') - 'daily') as lim,
        coalesce(lv.base -> 'daily', '{}') || coalesce(ra.limits -> 'daily', '{}') as daily
      from sent s
      join accounts a on a.id = s.account_id
      left join risk_accounts ra on ra.account_id = coalesce(a.parent_id, a.id)
      cross join lateral (select coalesce(p_levels -> 'levels' -> coalesce(ra.level, (p_levels ->> 'default')::int)::text, '{}') as base) lv
      group by 1, 2, ra.frozen_reason, ra.frozen_at, ra.limits, lv.base
  ),
  limited as (
    select g.*, (g.lim ->> 'maxPaymentMsat')::int8 as max_payment,
        coalesce(g.daily ->> (g.rail || ':outgoing'), g.daily ->> '*:outgoing')::int8 as max_daily
      from groups g
  ),
  used as (
    select l.*, case when l.max_daily is not null then (
        select coalesce(sum(t.amount_msat), 0)::int8 from transactions t
          where t.account_id = l.account_id and t.direction = 'outgoing' and t.created_at > now() - interval '24 hours'
            and t.status in ('pending', 'succeeded') and coalesce(t.rail, 'internal') = l.rail) end as used
      from limited l
  ),
  recipients as (
    select a.balance_msat, sum(s.amount_msat)::int8 as got,
        ((coalesce(p_levels -> 'levels' -> coalesce(ra.level, (p_levels ->> 'default')::int)::text, '{}') - 'daily')
          || (coalesce(ra.limits, '{}') - 'daily')) ->> 'maxBalanceMsat' as max_balance
      from sent s
      join accounts a on a.id = s.counterparty_account_id
      left join risk_accounts ra on ra.account_id = coalesce(a.parent_id, a.id)
      where s.rail is null and a.balance_msat is not null
      group by a.id, a.balance_msat, ra.level, ra.limits
  )
  select * into v from (
    select 1 as n, 'payments_paused' as code, null::text as lim, null::text as rail, null::int8 as limit_msat, null::int8 as left_msat,
        null::uuid[] as ids, null::int8 as used, null::int8 as batch, st.paused_reason as reason, null::uuid as account_id
      from risk_state st where st.paused_at is not null and exists (select from sent where sent.rail is not null)
    union all
    select 2, 'account_frozen', null, null, null, null, null, null, null, u.frozen_reason, null from used u where u.frozen
    union all
    select 3, 'limit_exceeded', 'payment', u.rail, u.max_payment, u.max_payment, null, null, null, null, null from used u where u.largest > u.max_payment
    union all
    select 4, 'limit_exceeded', 'daily', u.rail, u.max_daily, greatest(u.max_daily - (u.used - u.batch), 0), u.ids, u.used, u.batch, null, u.account_id
      from used u where u.used > u.max_daily
    union all
    select 5, 'limit_exceeded', 'balance', 'internal', r.max_balance::int8, greatest(r.max_balance::int8 - (r.balance_msat - r.got), 0), null, null, null, null, null
      from recipients r where r.balance_msat > r.max_balance::int8
    order by 1 limit 1) first;
  if not found then
    return;
  end if;
  if v.lim = 'daily' and v.batch <= v.limit_msat then
    -- When the batch fits: as the oldest payments leave the window (never, if it alone is over).
    select min(w.created_at) + interval '24 hours' into resets from (
      select t.created_at, sum(t.amount_msat) over (order by t.created_at, t.seq) as freed from transactions t
        where t.account_id = v.account_id and t.direction = 'outgoing' and t.created_at > now() - interval '24 hours'
          and t.status in ('pending', 'succeeded') and coalesce(t.rail, 'internal') = v.rail and t.id <> all(v.ids)) w
      where v.used - w.freed <= v.limit_msat;
  end if;
  perform risk_refuse(jsonb_strip_nulls(jsonb_build_object('code', v.code, 'limit', v.lim, 'rail', v.rail, 'limitMsat', v.limit_msat::text,
    'leftMsat', v.left_msat::text, 'resetsAt', resets, 'reason', v.reason)));
end $$;

-- The engine's writes with the check in the same statement (core/payments/outgoing.ts, transfer.ts).
create function payment_reserves_checked(p_items jsonb, p_levels jsonb) returns setof transactions language plpgsql as $$
declare
  written transactions[] := array(select r from payment_reserves(p_items) r);
begin
  perform risk_check(written, p_levels);
  return query select * from unnest(written);
end $$;

create function payment_transfers_checked(p_items jsonb, p_levels jsonb) returns setof transactions language plpgsql as $$
declare
  written transactions[] := array(select r from payment_transfers(p_items) r);
begin
  perform risk_check(written, p_levels);
  return query select * from unnest(written);
end $$;

-- For paths that write their row in a transaction of their own (a guarded transfer, our own invoice).
create function risk_check_ids(p_ids uuid[], p_levels jsonb) returns void language plpgsql as $$
begin
  perform risk_check(array(select t from transactions t where t.id = any(p_ids)), p_levels);
end $$;

-- Anomaly rules' decisions (core/risk/rules.ts), with the facts that triggered them: once per
-- rule and transaction, at most once per rule, account and window.
create table risk_decisions (
  id int8 generated always as identity primary key,
  at timestamptz not null default now(),
  rule text not null,
  account_id uuid not null references accounts (id),
  transaction_id uuid,
  action text not null check (action in ('alert', 'freeze')),
  facts jsonb not null,
  unique (rule, transaction_id)
);
create index risk_decisions_recent on risk_decisions (account_id, rule, at);
