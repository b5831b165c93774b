// LND's error texts and gRPC status codes, as lnd returns them (lnrpc, invoicesrpc, routerrpc,
// macaroons). Plain Go errors reach the client as UNKNOWN; lnd wraps a few in a specific code.
import { status } from '@grpc/grpc-js';

export class RpcError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

const plain = (message: string) => new RpcError(status.UNKNOWN, message);

export const lndErrors = {
  macaroonCount: (n: number) => plain(`expected 1 macaroon, got ${n}`),
  macaroonMismatch: () => plain('verification failed: signature mismatch after caveat verification'),
  macaroonNotHex: () => plain('encoding/hex: invalid byte'),
  /** go-macaroon's UnmarshalBinary refusal; the reason is the JS library's wording, not Go's. */
  macaroonUnreadable: (reason: string) => plain(`unmarshal v2: ${reason}`),
  macaroonInvalidId: () => plain('invalid ID'),
  permissionDenied: () => plain('permission denied'),
  /** What a client sees of a stream when lnd's server goes away (grpc-go on shutdown). */
  unavailable: () => new RpcError(status.UNAVAILABLE, 'transport is closing'),
  caveatNotSatisfied: (condition: string, why: string) => plain(`caveat ${JSON.stringify(condition)} not satisfied: ${why}`),
  invoiceNotFound: (code: status = status.UNKNOWN) => new RpcError(code, 'unable to locate invoice'),
  duplicateInvoice: () => plain('invoice with payment hash already exists'),
  invoiceStillOpen: () => plain('invoice still open'),
  invoiceAlreadyCanceled: () => plain('invoice already canceled'),
  invoiceAlreadySettled: () => plain('invoice already settled'),
  memoTooLarge: (n: number) => plain(`memo too large: ${n} bytes (maxsize=1024)`),
  descriptionHashLength: (n: number) => plain(`description hash is ${n} bytes, must be 32`),
  hashLength: (n: number) => plain(`invalid hash length of ${n}, want 32`),
  preimageLength: (n: number) => plain(`invalid preimage length of ${n}, want 32`),
  wrongNetwork: (network: string) => plain(`invoice not for current active network '${network}'`),
  invoiceExpired: (validUntil: Date) => plain(`invoice expired. Valid until ${validUntil.toISOString()}`),
  vertexLength: (n: number) => plain(`invalid vertex length of ${n}, want 33`),
  amountMissing: () => plain('amount must be specified'),
  amountRequired: () => plain('amount must be specified when paying a zero amount invoice'),
  amountNotAllowed: () => plain('amount must not be specified when paying a non-zero amount invoice'),
  satMsatExclusive: () => plain('sat and msat arguments are mutually exclusive'),
  alreadyPaid: () => new RpcError(status.ALREADY_EXISTS, 'invoice is already paid'),
  paymentInFlight: () => new RpcError(status.ALREADY_EXISTS, 'payment is in transition'),
  paymentNotInitiated: () => new RpcError(status.NOT_FOUND, "payment isn't initiated"),
  invalidPaymentRequest: (reason: string) => plain(reason),
};
