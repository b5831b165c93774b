// Why a zap could not be sent, as a stable reason code (batch lines, DM replies).
import { CodedError } from '../errors.ts';

export class ZapError extends CodedError<string> {
  override name = 'ZapError';
}
