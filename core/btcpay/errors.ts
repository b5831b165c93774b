// Errors of the BTCPay integration: a store's answers and what Flash refuses of them.
import { CodedError } from '../errors.ts';

export type BtcpayErrorCode =
  | 'missing_permissions' | 'greenfield' | 'unsupported_amount' | 'unknown_link' | 'bad_signature' | 'malformed' | 'stale' | 'wrong_webhook';

export class BtcpayError extends CodedError<BtcpayErrorCode> {
  override name = 'BtcpayError';
}
