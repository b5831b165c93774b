// A rail moves money outside the ledger: Lightning now; on-chain, eCash, … later. Each rail is a
// pair, `core/<rail>/` (its requests, parsing, limits, and this declaration) and
// `workers/<rail>/` (its port, adapters, processors, watcher, reconciliation). The engine
// (outgoing.ts) runs every rail's outgoing payments the same way: reserve → one or more attempts
// (the rail's attempt job) → settle or void. See docs/architecture.md, "Rails".
import type { Config } from '../config.ts';
import type { EventDefinition } from '../events.ts';
import type { AttemptJob, ReconcileJob } from '../jobs.ts';
import type { systemAccounts } from '../ledger/accounts.ts';

export type SystemAccount = keyof typeof systemAccounts;

export interface Rail {
  /** Its row in the `rails` table (which holds the accounts below for the SQL set functions). */
  name: string;
  /** The transaction kinds of its outgoing payments. */
  kinds: readonly string[];
  /** Holds the reserves of its pending outgoing payments. */
  pendingAccount: SystemAccount;
  /** Mirrors what its backend holds for holders. */
  assetAccount: SystemAccount;
  /** What a payment reserves for the backend's fee when the caller names no maximum. */
  feeReserve(config: Config, amountMsat: bigint): bigint;
  /** One attempt at a reserved payment (workers/<rail>), by transaction id. */
  attemptJob: AttemptJob;
  /** Finishes what is left pending (a crash, a timeout); scheduled by the workers. */
  reconcileJob: ReconcileJob;
  /** The events its payments emit (the payment events, and any of its own). */
  events: readonly EventDefinition[];
}
