// Why a recipient (parsed: recipient.ts, whose unreadable input is a KeyError) cannot be turned
// into a payment, as a stable code that each protocol (DM
// replies, business batch lines, …) maps in its own one place.
import { CodedError } from '../errors.ts';

export type RouteErrorCode =
  /** A name of ours nobody holds. */
  | 'unknown_recipient'
  /** A recipient form we recognise but cannot pay yet (on-chain address, Cashu token). */
  | 'not_supported';

export class RouteError extends CodedError<RouteErrorCode> {
  override name = 'RouteError';
}
