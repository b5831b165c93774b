-- Cheaper wallet statements.
--
-- transaction_event (0010) becomes PL/pgSQL with the same body: an SQL function that cannot be
-- inlined (it takes a row) is parsed and planned again on every call, and every transfer and
-- every settled payment calls it; PL/pgSQL keeps its plan for the session.
create or replace function transaction_event(p_type text, t transactions) returns jsonb language plpgsql immutable as $$
begin
  return jsonb_strip_nulls(jsonb_build_object(
      'type', p_type, 'accountId', t.account_id, 'transactionId', t.id, 'kind', t.kind,
      'amountMsat', coalesce(t.amount_msat, 0)::text, 'feeMsat', t.fee_msat::text,
      'paymentHash', t.payment_hash, 'preimage', t.preimage, 'paymentRequest', t.payment_request,
      'description', t.description, 'descriptionHash', t.description_hash, 'memo', t.memo,
      'counterpartyAccountId', t.counterparty_account_id, 'reason', t.failure_reason))
    || case when t.metadata is null then '{}'::jsonb else jsonb_build_object('metadata', t.metadata) end;
end $$;

-- Transfers group-committed: many in one transaction (core/payments/transfer.ts batches the
-- transfers that arrive while earlier ones commit). Each item is payment_transfer (0010), so
-- every guarantee of a single transfer holds; what is shared is the statement and the commit.
-- The holders' rows are locked first, all of them in account-id order (as ledger_post locks
-- them), so that two batches never wait on each other in a cycle. Any failing item fails the
-- whole batch; the caller then runs each item alone to give each its own outcome.
-- p_items: [{"from", "to", "amount" (decimal string), "key", "incomingKey", "memo", "metadata"}]
create function payment_transfers(p_items jsonb) returns setof transactions language plpgsql as $$
declare
  x record;
begin
  perform 1 from accounts
    where id in (select (e ->> 'from')::uuid from jsonb_array_elements(p_items) e
                 union select (e ->> 'to')::uuid from jsonb_array_elements(p_items) e)
      and balance_msat is not null
    order by id for no key update;
  for x in select * from rows from (jsonb_to_recordset(p_items)
      as ("from" uuid, "to" uuid, amount int8, key text, "incomingKey" text, memo text, metadata jsonb)) with ordinality as r
    order by r.ordinality loop
    return query select * from payment_transfer(x."from", x."to", x.amount, x.key, x."incomingKey", x.memo, x.metadata);
  end loop;
end $$;

-- The fake Lightning node's payment (workers/lightning/fake.ts, regtest only) in one round trip
-- each instead of a transaction of four: a payment that is due is completed by
-- fake_ln_resolve, which settles the target invoice (or, for a hold invoice, accepts it) or
-- fails the payment. Lock order as everywhere in fake.ts: the invoice first, then the payment.
-- p_target is the fake node that issued the invoice, null when no fake node did.
create function fake_ln_resolve(p_node text, p_hash text, p_target text) returns setof fake_ln_payments language plpgsql as $$
declare
  inv fake_ln_invoices;
  p fake_ln_payments;
  payable boolean;
begin
  if p_target is not null then
    select * into inv from fake_ln_invoices where node = p_target and payment_hash = p_hash for update;
  end if;
  select * into p from fake_ln_payments where node = p_node and payment_hash = p_hash for update;
  if not found then
    return;
  end if;
  if p.status <> 'pending' or p.completes_at > now() or inv.state is not distinct from 'accepted' then
    return next p;
    return;
  end if;
  payable := inv.state is not distinct from 'open' and inv.expires_at > now() and (inv.amount_msat is null or p.amount_msat >= inv.amount_msat);
  if payable then
    -- Numbered later by the subscriber's sequencer (fake.ts #sequence), in commit order.
    update fake_ln_invoices set state = case when is_hold then 'accepted' else 'settled' end, update_index = null,
        settle_index = null, settled_at = case when is_hold then null else now() end, received_msat = p.amount_msat
      where node = p_target and payment_hash = p_hash;
  end if;
  if not payable then
    update fake_ln_payments set status = 'failed', failure_reason = 'incorrect_payment_details'
      where node = p_node and payment_hash = p_hash returning * into p;
  elsif not inv.is_hold then
    update fake_ln_payments set status = 'succeeded', preimage = inv.preimage
      where node = p_node and payment_hash = p_hash returning * into p;
  end if;
  return next p;
end $$;

-- Sends: records the payment (a hash in flight or paid is not sent again: nothing is returned
-- then; a failed one may be retried) and completes it at once when it is due now.
create function fake_ln_send(p_node text, p_hash text, p_destination text, p_target text, p_amount int8, p_fee int8,
  p_failure text, p_delay_ms int8) returns setof fake_ln_payments language plpgsql as $$
declare
  p fake_ln_payments;
begin
  if p_target is not null then
    perform 1 from fake_ln_invoices where node = p_target and payment_hash = p_hash for update;
  end if;
  insert into fake_ln_payments (node, payment_hash, destination, amount_msat, fee_msat, status, failure_reason, completes_at)
    values (p_node, p_hash, p_destination, p_amount, p_fee, case when p_failure is null then 'pending' else 'failed' end,
      p_failure, now() + make_interval(secs => p_delay_ms / 1000.0))
    on conflict (node, payment_hash) do update set status = excluded.status, failure_reason = excluded.failure_reason,
      amount_msat = excluded.amount_msat, fee_msat = excluded.fee_msat, completes_at = excluded.completes_at
      where fake_ln_payments.status = 'failed'
    returning * into p;
  if not found then
    return;
  end if;
  if p.status = 'pending' and p.completes_at <= now() then
    return query select * from fake_ln_resolve(p_node, p_hash, p_target);
  else
    return next p;
  end if;
end $$;
