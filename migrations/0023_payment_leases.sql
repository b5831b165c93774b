-- One attempt at a time per outgoing payment (workers/lightning/attempt.ts). A hash that failed
-- may be paid again, and the node takes a new send of a failed hash: a lookup that read the
-- node's old failure while a send of the new payment was still on its way voided the payment,
-- and the send then paid. Now an attempt takes a lease on its row (no other attempt starts
-- until it ends or the lease runs out, as after a crash), and the row keeps when its latest
-- send began: a failure the node began before that belongs to an earlier payment of the hash.
alter table transactions
  add column lease_until timestamptz,
  add column send_started_at timestamptz;

-- The fake node (regtest only) as lnd does it: a failed hash sent again is a new payment, begun
-- now (lnd's InitPayment writes new creation info over the failed one). Otherwise as in 0011.
create or replace function fake_ln_send(p_node text, p_hash text, p_destination text, p_target text, p_amount int8, p_fee int8,
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
      amount_msat = excluded.amount_msat, fee_msat = excluded.fee_msat, completes_at = excluded.completes_at,
      created_at = now()
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
