-- Wallet hot paths in one round trip each: a transfer, and the settle or void of a payment.
-- Each runs as one statement (its own transaction, or the caller's), posts through ledger_post
-- (0003) and writes its outbox events in the same transaction, so every ledger guarantee holds
-- as before; what goes is the client↔server chatter (BEGIN, several statements, COMMIT).

-- A transaction's domain event as core/payments/transactions.ts (eventOf + toWire) writes it:
-- amounts as decimal strings, absent fields left out. Metadata is added after stripping nulls,
-- so that nulls inside it survive. test/integration/payments.sql.test.ts checks they agree.
create function transaction_event(p_type text, t transactions) returns jsonb language sql immutable as $$
  select jsonb_strip_nulls(jsonb_build_object(
      'type', p_type, 'accountId', t.account_id, 'transactionId', t.id, 'kind', t.kind,
      'amountMsat', coalesce(t.amount_msat, 0)::text, 'feeMsat', t.fee_msat::text,
      'paymentHash', t.payment_hash, 'preimage', t.preimage, 'paymentRequest', t.payment_request,
      'description', t.description, 'descriptionHash', t.description_hash, 'memo', t.memo,
      'counterpartyAccountId', t.counterparty_account_id, 'reason', t.failure_reason))
    || case when t.metadata is null then '{}'::jsonb else jsonb_build_object('metadata', t.metadata) end
$$;

-- A transfer between two holders (core/payments/transfer.ts): a succeeded row on each side,
-- one journal (key transfer:<sender row id>), a payment.sent and a payment.received event;
-- returns the sender's row. A reused key fails on the rows' unique key (23505), which the
-- caller maps to the first transfer; an overdraft fails on balance_not_negative; an unknown
-- or system account raises no_data_found (P0002) before anything is written.
create function payment_transfer(p_from uuid, p_to uuid, p_amount int8, p_key text, p_incoming_key text, p_memo text, p_metadata jsonb)
returns setof transactions language plpgsql as $$
declare
  sent transactions;
  got transactions;
begin
  if (select count(*) from accounts where id in (p_from, p_to) and kind <> 'system') <> 2 then
    raise exception 'no such account' using errcode = 'P0002';
  end if;
  insert into transactions (account_id, direction, kind, status, idempotency_key, amount_msat, memo, metadata, counterparty_account_id, settled_at)
    values (p_from, 'outgoing', 'transfer', 'succeeded', p_key, p_amount, p_memo, p_metadata, p_to, now())
    returning * into sent;
  insert into transactions (account_id, direction, kind, status, idempotency_key, amount_msat, memo, metadata, counterparty_account_id, settled_at)
    values (p_to, 'incoming', 'transfer', 'succeeded', p_incoming_key, p_amount, p_memo, p_metadata, p_from, now())
    returning * into got;
  perform ledger_post('transfer:' || sent.id, 'transfer', p_memo, sent.id, array[p_from, p_to], array[-p_amount, p_amount]);
  insert into event_outbox (type, payload) values
    ('payment.sent', transaction_event('payment.sent', sent)),
    ('payment.received', transaction_event('payment.received', got));
  return next sent;
end $$;

-- Settles or voids a pending outgoing payment, once: both post the journal pay:<id>:finish
-- (core/payments/pay.ts finishPayment). A failure voids only if attempt p_attempt is still
-- the latest (a later attempt may yet succeed). Returns the row, finished or as it was;
-- nothing when there is no such payment.
create function payment_finish(p_id uuid, p_attempt int, p_succeeded boolean, p_preimage text, p_fee int8, p_reason text, p_message text)
returns setof transactions language plpgsql as $$
declare
  t transactions;
  reserved int8;
  charged int8;
  accts uuid[];
  amts int8[];
begin
  select * into t from transactions where id = p_id for update;
  if not found then
    return;
  end if;
  if t.status <> 'pending' or (not p_succeeded and t.attempts <> p_attempt) then
    return next t;
    return;
  end if;
  reserved := t.amount_msat + t.fee_reserve_msat;
  if p_succeeded then
    -- The holder never pays more fee than reserved; a node that overspent costs the operator.
    charged := least(p_fee, t.fee_reserve_msat);
    update transactions set status = 'succeeded', fee_msat = charged, preimage = p_preimage, settled_at = now()
      where id = p_id returning * into t;
    -- lightning_pending → lightning (amount + node fee), unused reserve → holder, margin → fees.
    select array_agg(a), array_agg(m) into accts, amts
      from unnest(array['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', t.account_id,
                        '00000000-0000-4000-8000-000000000005']::uuid[],
                  array[-reserved, t.amount_msat + p_fee, t.fee_reserve_msat - charged, charged - p_fee]) as x (a, m)
      where m <> 0;
    perform ledger_post('pay:' || p_id || ':finish', 'payment.settle', null, p_id, accts, amts);
    insert into event_outbox (type, payload) values ('payment.sent', transaction_event('payment.sent', t));
  else
    update transactions set status = 'failed', failure_reason = p_reason, failure_message = p_message
      where id = p_id returning * into t;
    -- lightning_pending → holder: the whole reserve.
    perform ledger_post('pay:' || p_id || ':finish', 'payment.void', null, p_id,
      array['00000000-0000-4000-8000-000000000002', t.account_id]::uuid[], array[-reserved, reserved]);
    insert into event_outbox (type, payload) values ('payment.failed', transaction_event('payment.failed', t));
  end if;
  return next t;
end $$;
