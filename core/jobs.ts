// Every queue's jobs, declared once: name → queue, payload schema, result schema, retries.
// Features add their jobs here so that producers and processors share one typed contract.
import { z } from 'zod';
import { defineJob, type JobMap } from './queue.ts';
import { hex32 } from './hex.ts';

const msat = z.coerce.bigint();

// Every rail's attempt and reconciliation jobs have one shape (core/payments/rails.ts).
const attemptPayload = z.object({ transactionId: z.uuid() });
/**
 * The payment as the attempt left it: a final one (succeeded, failed) is final for good, so the
 * waiting engine needs no second read of the row.
 */
const attemptResult = z.object({
  status: z.string(),
  feeMsat: msat.optional(),
  preimage: hex32.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
const attemptJob = (queue: string) => defineJob({ queue, payload: attemptPayload, result: attemptResult });
const reconcilePayload = z.object({ olderThanSeconds: z.number().int().min(0) });
const reconcileResult = z.object({ checked: z.number(), finished: z.number() });
const reconcileJob = (queue: string) => defineJob({ queue, payload: reconcilePayload, result: reconcileResult });

// Wallet: the `lightning` and `lightning-invoices` queues (workers/lightning/processors.ts). Bigints travel as strings.
const lightningJobs = {
  /**
   * Issues an invoice (a hold invoice when paymentHash is given) and records it for the account.
   * Anyone can ask for invoices (LNURL callbacks): their own queue keeps them from starving payments.
   */
  'lightning.createInvoice': defineJob({
    queue: 'lightning-invoices',
    payload: z.object({
      accountId: z.uuid(),
      idempotencyKey: z.string(),
      amountMsat: msat.optional(),
      description: z.string().optional(),
      descriptionHash: hex32.optional(),
      expirySeconds: z.number().int().positive(),
      metadata: z.record(z.string(), z.unknown()).optional(),
      paymentHash: hex32.optional(),
    }),
    result: z.object({ transactionId: z.uuid() }),
    attempts: 3,
  }),
  'lightning.pay': attemptJob('lightning'),
  'lightning.settleHoldInvoice': defineJob({
    queue: 'lightning',
    payload: z.object({ preimage: hex32 }),
    result: z.object({ transactionId: z.uuid() }),
    attempts: 3,
  }),
  /** Cancels an open invoice on the node (hold invoices, and invoices paid inside the service). */
  'lightning.cancelInvoice': defineJob({
    queue: 'lightning',
    payload: z.object({ paymentHash: hex32 }),
    result: z.object({}),
    attempts: 3,
  }),
  'lightning.reconcile': reconcileJob('lightning'),
} satisfies JobMap;

// Zaps: the `zaps` queue, run by the zapper bot's leading instance (receipts; business batches, core/business).
const zapJobs = {
  /** One attempt to publish a stored zap receipt to one relay; a failure schedules the next. */
  'zaps.publishReceipt': defineJob({
    queue: 'zaps',
    payload: z.object({ paymentHash: hex32, relay: z.string().regex(/^wss?:\/\//), attempt: z.number().int().min(1) }),
    result: z.object({ status: z.enum(['published', 'retrying', 'failed', 'done']) }),
  }),
  /** Runs a business zap batch to the end; safe to repeat (every line pays once, by its key). */
  'zaps.batch': defineJob({
    queue: 'zaps',
    payload: z.object({ batchId: z.uuid() }),
    result: z.object({ paid: z.number(), failed: z.number(), pending: z.number() }),
    attempts: 5,
  }),
} satisfies JobMap;

// The Cashu mint: the `mint` queue (workers/mint/): eCash issued from balances, melts finished.
const mintJobs = {
  'mint.issue': attemptJob('mint'),
  'mint.reconcile': reconcileJob('mint'),
  /**
   * A token of another mint melted at that mint into an invoice of the holder's (the workers
   * are the only code that talks to other mints). The job id is the token's hash: once.
   */
  'mint.redeemForeign': defineJob({
    queue: 'mint',
    payload: z.object({ accountId: z.uuid(), token: z.string().max(40_000), key: z.string().max(200) }),
    result: z.object({ status: z.enum(['paid', 'pending']), amountSat: msat, feeSat: msat }),
  }),
} satisfies JobMap;

// BTCPay Server stores: the `btcpay` queue (workers/btcpay), the only code that calls a store's Greenfield API.
const btcpayJobs = {
  /** Acts on one recorded webhook delivery (an InvoiceSettled reward, a PayoutApproved run); safe to repeat. */
  'btcpay.delivery': defineJob({
    queue: 'btcpay',
    payload: z.object({ linkId: z.uuid(), originalDeliveryId: z.string().min(1) }),
    result: z.object({ outcome: z.string() }),
    attempts: 5,
  }),
  /** Pays the store's approved Lightning payouts from the business account and marks them paid. */
  'btcpay.payouts': defineJob({
    queue: 'btcpay',
    payload: z.object({ linkId: z.uuid() }),
    result: z.object({ paid: z.number(), marked: z.number(), failed: z.number(), pending: z.number() }),
  }),
} satisfies JobMap;

// On-chain: the `onchain` queue (workers/onchain/processors.ts).
const onchainJobs = {
  /** Queues a reserved withdrawal for the next batch (the batcher sends it). */
  'onchain.payout': attemptJob('onchain'),
  'onchain.reconcile': reconcileJob('onchain'),
  /** Extends the node's known range of a descriptor (keypoolrefill) so that issued addresses are watched. */
  'onchain.refill': defineJob({
    queue: 'onchain',
    payload: z.object({ range: z.number().int().positive() }),
    result: z.object({ range: z.number().int() }),
    attempts: 5,
  }),
} satisfies JobMap;

// Risk: the `risk` queue, run by the workers (workers/risk/watchdog.ts).
const riskJobs = {
  /** Compares liabilities with the rails' assets, stores the report, pauses payments when short. */
  'risk.solvency': defineJob({
    queue: 'risk',
    payload: z.object({}),
    result: z.object({ deficitMsat: msat, paused: z.boolean() }),
  }),
} satisfies JobMap;

export const jobs = {
  ...lightningJobs,
  ...riskJobs,
  ...zapJobs,
  ...mintJobs,
  ...btcpayJobs,
  ...onchainJobs,
} satisfies JobMap;

export type Jobs = typeof jobs;

/** The jobs that make one attempt at a rail's reserved payment. */
export type AttemptJob = { [K in keyof Jobs]: Jobs[K]['payload'] extends typeof attemptPayload ? K : never }[keyof Jobs];
/** The jobs that reconcile a rail's pending payments. */
export type ReconcileJob = { [K in keyof Jobs]: Jobs[K]['payload'] extends typeof reconcilePayload ? K : never }[keyof Jobs];
