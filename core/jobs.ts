// Every queue's jobs, declared once: name → queue, payload schema, result schema, retries.
// Features add their jobs here so that producers and processors share one typed contract.
import { z } from 'zod';
import { defineJob, type JobMap } from './queue.ts';
import { hex32 } from './hex.ts';

// Wallet: the `lightning` queue (workers/lightning/processors.ts). Bigints travel as strings.
const msat = z.coerce.bigint();
const lightningJobs = {
  /** Issues an invoice (a hold invoice when paymentHash is given) and records it for the account. */
  'lightning.createInvoice': defineJob({
    queue: 'lightning',
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
  /**
   * One attempt at an outgoing payment already reserved. The result is the payment as the
   * attempt left it: a final one (succeeded, failed) is final for good, so the waiting engine
   * needs no second read of the row.
   */
  'lightning.pay': defineJob({
    queue: 'lightning',
    payload: z.object({ transactionId: z.uuid() }),
    result: z.object({
      status: z.string(),
      feeMsat: msat.optional(),
      preimage: hex32.optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
    }),
  }),
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
  'lightning.reconcile': defineJob({
    queue: 'lightning',
    payload: z.object({ olderThanSeconds: z.number().int().min(0) }),
    result: z.object({ checked: z.number(), finished: z.number() }),
  }),
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

export const jobs = {
  ...lightningJobs,
  ...zapJobs,
} satisfies JobMap;

export type Jobs = typeof jobs;
