// The eCash rail: tokens of our own mint issued from a holder's balance (reserve into
// `mint_pending`, the `mint.issue` attempt signs the outputs and settles into `mint`, the eCash
// liability). Melts are payments on the Lightning rail (nut05.ts).
import { paymentEvents } from '../payments/events.ts';
import type { Rail } from '../payments/rails.ts';

export const ecashRail: Rail = {
  name: 'ecash',
  kinds: ['ecash'],
  pendingAccount: 'mintPending',
  assetAccount: 'mint',
  feeReserve: () => 0n,
  attemptJob: 'mint.issue',
  reconcileJob: 'mint.reconcile',
  events: paymentEvents,
};
