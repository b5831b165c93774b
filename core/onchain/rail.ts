// The on-chain rail (Bitcoin Core, or the embedded regtest node): withdrawals reserved through
// the engine, queued and sent in batches by the `onchain` queue's workers (workers/onchain/).
import type { Config } from '../config.ts';
import { paymentEvents } from '../payments/events.ts';
import type { Rail } from '../payments/rails.ts';
import { onchainEvents } from './events.ts';

export const onchainRail: Rail = {
  name: 'onchain',
  kinds: ['onchain'],
  pendingAccount: 'onchainPending',
  assetAccount: 'onchain',
  // Withdrawals always name their reserve (core/onchain/withdraw.ts quotes it from fee rates).
  feeReserve: (config: Config) => config.ONCHAIN_FEE_RESERVE_MIN_SAT * 1000n,
  attemptJob: 'onchain.payout',
  reconcileJob: 'onchain.reconcile',
  events: [...paymentEvents, ...onchainEvents],
};
