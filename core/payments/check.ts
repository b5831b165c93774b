// Invariants that tie payments to the ledger, checked with the ledger's (`flash ledger check`).
export const paymentRules: Record<string, string> = {
  'a pending payment holds its reserve and is not finished': `
    select format('payment %s', t.id) as detail from transactions t
    where t.status = 'pending' and t.direction = 'outgoing'
      and (not exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':reserve')
        or exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':finish'))`,
  'a finished payment on a rail was settled or voided': `
    select format('payment %s (%s)', t.id, t.status) as detail from transactions t
    where t.direction = 'outgoing' and t.rail is not null and t.status in ('succeeded', 'failed')
      and not exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':finish')`,
  'a paid invoice was credited': `
    select format('invoice %s', t.id) as detail from transactions t
    where t.direction = 'incoming' and t.kind = 'lightning' and t.status = 'succeeded'
      and not exists (select 1 from journals where idempotency_key in ('receive:' || t.payment_hash, 'internal:' || t.payment_hash))`,
  'reserves in flight equal the pending payments': `
    select format('%s: its pending account holds %s, its pending payments reserve %s', r.name, h.held, o.owed) as detail from rails r
      cross join lateral (select coalesce(sum(amount_msat), 0) as held from postings where account_id = r.pending_account_id) h
      cross join lateral (select coalesce(sum(amount_msat + fee_reserve_msat), 0) as owed from transactions
                          where status = 'pending' and direction = 'outgoing' and rail = r.name) o
    where h.held <> o.owed`,
  'every pending outgoing payment is on a known rail': `
    select format('payment %s (rail %s)', t.id, coalesce(t.rail, 'none')) as detail from transactions t
    where t.status = 'pending' and t.direction = 'outgoing' and not exists (select from rails r where r.name = t.rail)`,
};
