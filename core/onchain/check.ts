// The on-chain rail's invariants, checked with the ledger's (`flash ledger check`).
export const onchainRules: Record<string, string> = {
  'a credited deposit has its one journal': `
    select format('deposit %s:%s (%s)', d.txid, d.vout, d.status) as detail from onchain_deposits d
    where (d.status in ('credited', 'held')) <> exists (select from journals j where j.idempotency_key = 'onchain:receive:' || d.txid || ':' || d.vout)`,
  'an on-chain receive journal belongs to a credited deposit': `
    select format('journal %s', j.idempotency_key) as detail from journals j
    where j.kind = 'onchain.receive' and not exists (select from onchain_deposits d
      where j.idempotency_key = 'onchain:receive:' || d.txid || ':' || d.vout and d.status in ('credited', 'held'))`,
  'the payouts of a confirmed batch are settled': `
    select format('payment %s (%s) in batch %s', t.id, t.status, b.id) as detail from onchain_batches b
    join onchain_batch_payouts p on p.batch_id = b.id join transactions t on t.id = p.transaction_id
    where b.status = 'confirmed' and t.status <> 'succeeded'`,
  // Holdings as the workers last read them (hot and cold wallets, confirmed or not), plus what
  // open batches have spent from the wallet but the ledger has not yet settled, must cover what
  // the ledger says is held on-chain for holders (minus the on-chain system accounts).
  'on-chain holdings cover what the ledger holds on-chain': `
    select format('the wallets hold %s msat (with open batches), the ledger %s msat', h.held, l.owed) as detail
    from (select coalesce(sum(confirmed_sat + unconfirmed_sat), 0) * 1000
                 + coalesce((select sum(t.amount_msat) from onchain_batches b join onchain_batch_payouts p on p.batch_id = b.id
                             join transactions t on t.id = p.transaction_id where b.status in ('signed', 'broadcast')), 0)
                 + coalesce((select sum(v.fee_sat) * 1000 from onchain_batches b join onchain_batch_txs v on v.txid = b.txid
                             where b.status in ('signed', 'broadcast')), 0) as held
          from onchain_holdings) h,
         (select -coalesce(sum(amount_msat), 0) as owed from postings
          where account_id in ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-8000-0000000000c3')) l
    where exists (select from onchain_holdings) and h.held < l.owed`,
};
