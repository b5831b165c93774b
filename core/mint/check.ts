// The mint's invariant, checked with the ledger's (`flash ledger check`): the `mint` system
// account holds exactly the eCash outstanding (signed − spent), plus quotes paid but not yet
// issued, minus what melts still in progress have taken out for their payments.
export const mintRules: Record<string, string> = {
  'the mint account equals the eCash outstanding': `
    select format('mint account %s, eCash outstanding %s (signed %s, spent %s, paid not issued %s, melts in flight %s)',
        m.held, s.v - p.v + u.v - h.v, s.v, p.v, u.v, h.v) as detail
    from (select coalesce(sum(amount_msat), 0) as held from postings where account_id = '00000000-0000-4000-8000-000000000004') m,
      (select coalesce(sum(amount), 0) * 1000 as v from mint_signatures where c_ is not null) s,
      (select coalesce(sum(amount), 0) * 1000 as v from mint_proofs where state = 'spent') p,
      (select coalesce(sum(t.amount_msat), 0) as v from mint_quotes q join transactions t on t.id = q.transaction_id
        where t.status = 'succeeded' and not q.issued) u,
      (select coalesce(sum(case t.status when 'pending' then t.amount_msat + t.fee_reserve_msat
                                         when 'succeeded' then t.amount_msat + t.fee_msat else 0 end), 0) as v
        from melt_quotes q join transactions t on t.id = q.transaction_id where q.state = 'PENDING') h
    where m.held <> s.v - p.v + u.v - h.v`,
  'a pending melt holds pending inputs only': `
    select format('proof %s: %s, its melt quote is %s', p.y, p.state, coalesce(q.state, 'missing')) as detail
    from mint_proofs p left join melt_quotes q on q.id = p.melt_quote
    where p.melt_quote is not null and ((p.state = 'pending') <> (q.state is not distinct from 'PENDING'))`,
};
