// What the Lightning rail's domain knows of invoices and payment failures, shared by the engine,
// the bots' replies and the workers' port (workers/lightning/port.ts).

export type Network = 'regtest' | 'signet' | 'testnet' | 'mainnet';

export interface DecodedInvoice {
  paymentHash: string;
  paymentRequest: string;
  network: Network;
  destination: string;
  amountMsat?: bigint;
  description?: string;
  descriptionHash?: string;
  createdAt: Date;
  expiresAt: Date;
  minFinalCltvExpiry: number;
}

/** Why the node gave up on a payment (LND's PaymentFailureReason, named as the engine records it). */
export type PaymentFailureReason =
  | 'no_route' | 'timeout' | 'incorrect_payment_details' | 'insufficient_balance' | 'canceled' | 'error';
