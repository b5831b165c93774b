// The payment events every rail emits, unchanged on the wire: `transaction_event` (SQL,
// migrations/0011) builds the same payload from a transactions row as `eventOf` below.
import { z } from 'zod';
import { defineEvent, type EventInput, type EventOf } from '../events.ts';

const msat = z.coerce.bigint();
const fields = {
  accountId: z.string(),
  transactionId: z.string(),
  /** The transaction's kind (lightning, internal, keysend, transfer, or a later rail's). */
  kind: z.string(),
  amountMsat: msat,
  feeMsat: msat,
  paymentHash: z.string().optional(),
  preimage: z.string().optional(),
  paymentRequest: z.string().optional(),
  description: z.string().optional(),
  descriptionHash: z.string().optional(),
  memo: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  counterpartyAccountId: z.string().optional(),
  /** The rail's own reference (a txid:vout, a mint quote id), when it has one. */
  railRef: z.string().optional(),
  reason: z.string().optional(),
};

export const paymentReceived = defineEvent('payment.received', fields);
export const paymentSent = defineEvent('payment.sent', fields);
export const paymentFailed = defineEvent('payment.failed', fields);
export const holdInvoiceAccepted = defineEvent('hold_invoice.accepted', fields);

export const paymentEvents = [paymentReceived, paymentSent, paymentFailed, holdInvoiceAccepted] as const;
export type PaymentEventDefinition = (typeof paymentEvents)[number];
export type PaymentEvent = EventOf<PaymentEventDefinition>;
export type PaymentEventInput = EventInput<PaymentEventDefinition>;
export type PaymentEventType = PaymentEventDefinition['type'];
