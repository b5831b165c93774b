// Domain errors of the payment engine: a stable code for callers (DM bot, NWC, LNURL) to map
// to their protocol's errors, and a message fit to show a user. Nothing was reserved when
// one of these is thrown.
import type { z } from 'zod';
import { CodedError, issuesText } from '../errors.ts';

export type PaymentErrorCode =
  | 'invalid_request' | 'invalid_invoice' | 'wrong_network' | 'expired' | 'amount_required'
  | 'amount_mismatch' | 'amount_out_of_range' | 'insufficient_balance' | 'already_paid'
  | 'self_payment' | 'not_found' | 'unavailable' | 'not_supported' | 'idempotency_conflict'
  /** The account's outgoing payments are held for the operator's review (payment_holds, migrations/0026). */
  | 'account_held'
  // Refused by the risk controls (core/risk/refusals.ts).
  | 'limit_exceeded' | 'account_frozen' | 'payments_paused';

/** SQLSTATE of payment_hold_check (migrations/0026). */
export const HELD_SQLSTATE = 'FH001';
export const accountHeld = () => new PaymentError('account_held', 'outgoing payments of this account are held for review; contact the operator');

export class PaymentError extends CodedError<PaymentErrorCode> {
  override name = 'PaymentError';
}

/** A key used before for a different request: the stored result belongs to that one. */
export const keyConflict = () => new PaymentError('idempotency_conflict', 'this idempotency key was used for a different request; use a new key');

/** A request checked against its schema; every issue is reported as `invalid_request`. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PaymentError('invalid_request', issuesText(r.error, 'request'));
  return r.data;
}
