// The on-chain rail's own events (the payment events carry credits and sent withdrawals).
import { z } from 'zod';
import { defineEvent } from '../events.ts';

const deposit = {
  accountId: z.string(),
  transactionId: z.string(),
  txid: z.string(),
  vout: z.number(),
  address: z.string(),
  amountMsat: z.coerce.bigint(),
  confirmations: z.number(),
};

/** Seen (in the mempool or below the confirmations needed): not spendable yet. */
export const depositPending = defineEvent('onchain.deposit_pending', deposit);
/** A credited deposit reorged out below the confirmations needed: the account's outgoing payments are held. */
export const depositReorged = defineEvent('onchain.deposit_reorged', deposit);

export const onchainEvents = [depositPending, depositReorged] as const;
