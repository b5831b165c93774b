// Why a card request is refused. api/cards answers each as LUD-03's `{"status":"ERROR","reason"}`;
// the DM bot and the CLI show the message. Nothing was reserved when one is thrown.
import { CodedError } from '../errors.ts';

export type CardErrorCode =
  | 'invalid_request' | 'unknown_card' | 'bad_mac' | 'replayed' | 'disabled' | 'unknown_k1' | 'k1_used' | 'k1_expired'
  | 'over_tap_limit' | 'over_day_limit' | 'invalid_invoice' | 'wrong_network' | 'amount_required' | 'no_card' | 'program_link' | 'payment_failed';

export class CardError extends CodedError<CardErrorCode> {
  override name = 'CardError';
}
