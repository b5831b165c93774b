// The ledger's invariants, verified on a live database from one consistent snapshot.
import type { Sql, Tx } from '../db.ts';

export interface Violation { rule: string; detail: string }

/** Each rule is a query returning one row per violation, with a `detail` column. */
export const ledgerRules: Record<string, string> = {
  'journal postings sum to zero (two or more postings)': `
    select format('journal %s (%s): %s postings, sum %s', j.id, j.idempotency_key, count(p.id), coalesce(sum(p.amount_msat), 0)) as detail
    from journals j left join postings p on p.journal_id = j.id
    group by j.id having count(p.id) < 2 or coalesce(sum(p.amount_msat), 0) <> 0`,
  'holder balance equals the sum of its postings': `
    select format('account %s: balance %s, postings %s', a.id, a.balance_msat, coalesce(s.total, 0)) as detail
    from accounts a left join (select account_id, sum(amount_msat) as total from postings group by account_id) s on s.account_id = a.id
    where a.balance_msat is not null and a.balance_msat <> coalesce(s.total, 0)`,
  'holder balances are not negative': `
    select format('account %s: balance %s', id, balance_msat) as detail from accounts where balance_msat < 0`,
  // Postings carry no foreign keys (migrations/0017): the ledger functions check the accounts.
  'every posting names an existing journal and account': `
    select format('posting %s: journal %s, account %s', p.id, p.journal_id, p.account_id) as detail
    from postings p
    where not exists (select from journals j where j.id = p.journal_id) or not exists (select from accounts a where a.id = p.account_id)`,
  'all postings sum to zero': `
    select format('postings sum to %s', total) as detail from (select coalesce(sum(amount_msat), 0) as total from postings) t where total <> 0`,
};

async function runRules(tx: Tx, rules: Record<string, string>): Promise<Violation[]> {
  const found: Violation[] = [];
  for (const [rule, query] of Object.entries(rules)) {
    for (const row of await tx.unsafe<{ detail: string }[]>(query)) found.push({ rule, detail: row.detail });
  }
  return found;
}

/** Runs every rule in one repeatable-read snapshot, so concurrent payments cannot cause false alarms. */
export async function check(sql: Sql, rules: Record<string, string> = ledgerRules): Promise<Violation[]> {
  return sql.begin('isolation level repeatable read read only', (tx) => runRules(tx, rules));
}
