// Invariants that tie payments to the ledger, checked with the ledger's (`flash ledger check`).
export const paymentRules: Record<string, string> = {
  'a pending payment holds its reserve and is not finished': `
    select format('payment %s', t.id) as detail from transactions t
    where t.status = 'pending'
      and (not exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':reserve')
        or exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':finish'))`,
  'a finished Lightning payment was settled or voided': `
    select format('payment %s (%s)', t.id, t.status) as detail from transactions t
    where t.direction = 'outgoing' and t.kind in ('lightning', 'keysend') and t.status in ('succeeded', 'failed')
      and not exists (select 1 from journals where idempotency_key = 'pay:' || t.id || ':finish')`,
  'a paid invoice was credited': `
    select format('invoice %s', t.id) as detail from transactions t
    where t.direction = 'incoming' and t.kind = 'lightning' and t.status = 'succeeded'
      and not exists (select 1 from journals where idempotency_key in ('receive:' || t.payment_hash, 'internal:' || t.payment_hash))`,
  'reserves in flight equal the pending payments': `
    select format('lightning_pending holds %s, pending payments reserve %s', held, owed) as detail from
      (select coalesce(sum(amount_msat), 0) as held from postings where account_id = '00000000-0000-4000-8000-000000000002') h,
      (select coalesce(sum(amount_msat + fee_reserve_msat), 0) as owed from transactions where status = 'pending' and direction = 'outgoing') o
    where held <> owed`,
};
