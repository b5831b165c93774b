// The double-entry ledger: journals of postings that sum to zero, posted atomically with the
// holder balances (see `ledger_post` in migrations/0003_wallet.sql). Positive balances are
// what the service owes the account; system accounts mirror them and may go negative.
import type { Sql, Tx } from '../db.ts';
import { CodedError } from '../errors.ts';

export type Db = Sql | Tx;

export interface Posting { accountId: string; amountMsat: bigint }

export interface JournalInput {
  /** Unique per journal: posting the same key again is a no-op that returns the first journal. */
  idempotencyKey: string;
  kind: string;
  memo?: string;
  /** The transaction (payment, invoice, transfer) this journal belongs to. */
  ref?: string;
  postings: Posting[];
}

export class LedgerError extends CodedError<'invalid_journal' | 'insufficient_balance'> {
  override name = 'LedgerError';
  constructor(message: string, code: LedgerError['code'] = 'invalid_journal') {
    super(code, message);
  }
}

export class InsufficientBalanceError extends LedgerError {
  override name = 'InsufficientBalanceError';
  constructor(message: string) {
    super(message, 'insufficient_balance');
  }
}

/**
 * The ledger's errors from a Postgres error raised by ledger_post (an overdraft, an invalid
 * journal), wherever the call ran; any other error is returned as it is.
 */
export function ledgerErrorOf(err: unknown): unknown {
  const e = err as { code?: string; constraint_name?: string; message?: string };
  if (e.code === '23514' && e.constraint_name === 'balance_not_negative') return new InsufficientBalanceError('insufficient balance');
  if (e.code === '22023' || e.code === '23503') return new LedgerError(e.message ?? 'invalid journal');
  return err;
}

/**
 * Posts a journal in the caller's transaction (or alone), in one round trip. Zero postings are
 * dropped; postings to the same account may repeat. Throws InsufficientBalanceError when a
 * holder would go below zero, which aborts the enclosing transaction.
 */
export async function post(db: Db, j: JournalInput): Promise<{ journalId: bigint; created: boolean }> {
  const postings = j.postings.filter((p) => p.amountMsat !== 0n);
  if (postings.reduce((s, p) => s + p.amountMsat, 0n) !== 0n) throw new LedgerError(`journal ${j.idempotencyKey} does not balance`);
  try {
    const [row] = await db<{ journal_id: bigint; created: boolean }[]>`
      select * from ledger_post(${j.idempotencyKey}, ${j.kind}, ${j.memo ?? null}, ${j.ref ?? null},
        ${db.array(postings.map((p) => p.accountId))}::uuid[], ${db.array(postings.map((p) => p.amountMsat), 20)}::int8[])`;
    return { journalId: row!.journal_id, created: row!.created };
  } catch (err) {
    throw ledgerErrorOf(err);
  }
}

/** A holder's balance from its row; a system account's from its postings. */
export async function balance(db: Db, accountId: string): Promise<bigint> {
  const [row] = await db<{ balance: bigint | null }[]>`
    select coalesce(a.balance_msat, (select coalesce(sum(amount_msat), 0)::int8 from postings where account_id = a.id)) as balance
    from accounts a where a.id = ${accountId}`;
  if (!row) throw new LedgerError(`no account ${accountId}`);
  return row.balance!;
}

export interface Entry {
  postingId: bigint;
  journalId: bigint;
  kind: string;
  memo: string | null;
  ref: string | null;
  amountMsat: bigint;
  createdAt: Date;
}

/** The account's postings, newest first; pass `before` = the last page's `next` to page on. */
export async function entries(db: Db, accountId: string, opts: { limit: number; before?: bigint }): Promise<{ items: Entry[]; next?: bigint }> {
  const rows = await db<{ posting_id: bigint; journal_id: bigint; kind: string; memo: string | null; ref: string | null; amount_msat: bigint; created_at: Date }[]>`
    select p.id as posting_id, j.id as journal_id, j.kind, j.memo, j.ref, p.amount_msat, j.created_at
    from postings p join journals j on j.id = p.journal_id
    where p.account_id = ${accountId} and p.id < ${opts.before ?? 2n ** 63n - 1n}
    order by p.id desc limit ${opts.limit}`;
  const items = rows.map((r) => ({ postingId: r.posting_id, journalId: r.journal_id, kind: r.kind, memo: r.memo, ref: r.ref, amountMsat: r.amount_msat, createdAt: r.created_at }));
  return { items, next: items.length === opts.limit ? items.at(-1)!.postingId : undefined };
}
