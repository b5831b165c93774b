// Amount limits and the default routing-fee reserve, from configuration.
import type { Config } from '../config.ts';
import { PaymentError } from './errors.ts';

export function checkAmount(config: Config, amountMsat: bigint): void {
  if (amountMsat <= 0n || amountMsat > config.PAYMENT_MAX_MSAT) {
    throw new PaymentError('amount_out_of_range', `amount must be between 1 and ${config.PAYMENT_MAX_MSAT} msat`);
  }
}

/** What a payment reserves for routing fees when the caller names no maximum. */
export function defaultFeeReserve(config: Config, amountMsat: bigint): bigint {
  const proportional = (amountMsat * BigInt(config.PAYMENT_FEE_RESERVE_PPM) + 999_999n) / 1_000_000n;
  return proportional > config.PAYMENT_FEE_RESERVE_MIN_MSAT ? proportional : config.PAYMENT_FEE_RESERVE_MIN_MSAT;
}
