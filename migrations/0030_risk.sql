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
-- p_levels: {"default": n, "levels": {"0": {maxPaymentMsat, maxBalanceMsat, daily: {"<rail>:outgoing" | "*:outgoing": msat}}}}.
create function risk_check(p_rows transactions[], p_levels jsonb) returns void language plpgsql as $$
declare
  v record;
  lim int8;
  used int8;
  resets timestamptz;
begin
  if exists (select from unnest(p_rows) r where r.rail is not null) then
    select * into v from risk_state where paused_at is not null;
    if found then
      perform risk_refuse(jsonb_build_object('code', 'payments_paused', 'reason', v.paused_reason));
    end if;
  end if;

  for v in
    select p.account_id, p.rail, p.batch, p.largest, p.ids, ra.frozen_at, ra.frozen_reason,
        (b.base - 'daily') || (coalesce(ra.limits, '{}') - 'daily') as lim,
        coalesce(b.base -> 'daily', '{}') || coalesce(ra.limits -> 'daily', '{}') as daily
      from (select r.account_id, coalesce(r.rail, 'internal') as rail, sum(r.amount_msat)::int8 as batch,
                   max(r.amount_msat) as largest, array_agg(r.id) as ids
              from unnest(p_rows) r where r.direction = 'outgoing' group by 1, 2) p
      join accounts a on a.id = p.account_id
      left join risk_accounts ra on ra.account_id = coalesce(a.parent_id, a.id)
      cross join lateral (select coalesce(p_levels -> 'levels' -> coalesce(ra.level, (p_levels ->> 'default')::int)::text, '{}') as base) b
  loop
    if v.frozen_at is not null then
      perform risk_refuse(jsonb_build_object('code', 'account_frozen', 'reason', v.frozen_reason));
    end if;
    lim := (v.lim ->> 'maxPaymentMsat')::int8;
    if v.largest > lim then
      perform risk_refuse(jsonb_build_object('code', 'limit_exceeded', 'limit', 'payment', 'rail', v.rail, 'limitMsat', lim::text, 'leftMsat', lim::text));
    end if;
    lim := coalesce(v.daily ->> (v.rail || ':outgoing'), v.daily ->> '*:outgoing')::int8;
    continue when lim is null;
    select coalesce(sum(t.amount_msat), 0)::int8 into used from transactions t
      where t.account_id = v.account_id and t.direction = 'outgoing' and t.created_at > now() - interval '24 hours'
        and t.status in ('pending', 'succeeded') and coalesce(t.rail, 'internal') = v.rail;
    continue when used <= lim;
    -- When the batch fits: as the oldest payments leave the window (never, if it alone is over).
    select min(w.created_at) + interval '24 hours' into resets from (
      select t.created_at, sum(t.amount_msat) over (order by t.created_at, t.seq) as freed from transactions t
        where t.account_id = v.account_id and t.direction = 'outgoing' and t.created_at > now() - interval '24 hours'
          and t.status in ('pending', 'succeeded') and coalesce(t.rail, 'internal') = v.rail and t.id <> all(v.ids)) w
      where used - w.freed <= lim;
    perform risk_refuse(jsonb_build_object('code', 'limit_exceeded', 'limit', 'daily', 'rail', v.rail, 'limitMsat', lim::text,
      'leftMsat', greatest(lim - (used - v.batch), 0)::text, 'resetsAt', case when v.batch <= lim then resets end));
  end loop;

  -- Recipients inside the ledger: their balance after the move against their maximum.
  for v in
    select a.balance_msat, sum(r.amount_msat)::int8 as got,
        (coalesce(p_levels -> 'levels' -> coalesce(ra.level, (p_levels ->> 'default')::int)::text, '{}') - 'daily')
          || (coalesce(ra.limits, '{}') - 'daily') as lim
      from unnest(p_rows) r
      join accounts a on a.id = r.counterparty_account_id
      left join risk_accounts ra on ra.account_id = coalesce(a.parent_id, a.id)
      where r.direction = 'outgoing' and r.rail is null and a.balance_msat is not null
      group by a.id, a.balance_msat, ra.level, ra.limits
  loop
    lim := (v.lim ->> 'maxBalanceMsat')::int8;
    if v.balance_msat > lim then
      perform risk_refuse(jsonb_build_object('code', 'limit_exceeded', 'limit', 'balance', 'rail', 'internal', 'limitMsat', lim::text,
        'leftMsat', greatest(lim - (v.balance_msat - v.got), 0)::text));
    end if;
  end loop;
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
