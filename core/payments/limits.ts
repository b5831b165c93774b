// Amount limits every rail applies, from configuration.
import type { Config } from '../config.ts';
import { PaymentError } from './errors.ts';

export function checkAmount(config: Config, amountMsat: bigint): void {
  if (amountMsat <= 0n || amountMsat > config.PAYMENT_MAX_MSAT) {
    throw new PaymentError('amount_out_of_range', `amount must be between 1 and ${config.PAYMENT_MAX_MSAT} msat`);
  }
}
