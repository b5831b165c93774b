// An attempt's lease on its outgoing payment (migrations/0023; taken by startAttempt in pay.ts).
// While an attempt may still be sending, no other attempt of the payment starts: another one
// could read the node's record before that send reaches the node, and take an earlier failure
// of the same hash for this payment's. Both calls act only for the payment's latest attempt
// while it is pending.
import type { Db } from '../ledger/ledger.ts';

/** Records that `attempt` sends now; undefined when it may not (finished, or a later attempt started). */
export async function markSending(db: Db, transactionId: string, attempt: number): Promise<Date | undefined> {
  const [row] = await db<{ send_started_at: Date }[]>`
    update transactions set send_started_at = now() where id = ${transactionId} and attempts = ${attempt} and status = 'pending'
    returning send_started_at`;
  return row?.send_started_at;
}

/** Ends `attempt`'s lease early: it is over, and whatever it sent has reached the node or never will. */
export async function releaseLease(db: Db, transactionId: string, attempt: number): Promise<void> {
  await db`update transactions set lease_until = null where id = ${transactionId} and attempts = ${attempt} and status = 'pending'`;
}
