// The Lightning rail (LND, or the embedded fake node): outgoing BOLT 11 and keysend payments
// through the `lightning` queue (workers/lightning/).
import type { Config } from '../config.ts';
import { paymentEvents } from '../payments/events.ts';
import type { Rail } from '../payments/rails.ts';

/** What a payment reserves for routing fees when the caller names no maximum. */
function defaultFeeReserve(config: Config, amountMsat: bigint): bigint {
  const proportional = (amountMsat * BigInt(config.PAYMENT_FEE_RESERVE_PPM) + 999_999n) / 1_000_000n;
  return proportional > config.PAYMENT_FEE_RESERVE_MIN_MSAT ? proportional : config.PAYMENT_FEE_RESERVE_MIN_MSAT;
}

export const lightningRail: Rail = {
  name: 'lightning',
  kinds: ['lightning', 'keysend'],
  pendingAccount: 'lightningPending',
  assetAccount: 'lightning',
  feeReserve: defaultFeeReserve,
  attemptJob: 'lightning.pay',
  reconcileJob: 'lightning.reconcile',
  events: paymentEvents,
};
