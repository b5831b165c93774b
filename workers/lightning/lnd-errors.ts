// The one place where LND's errors become the port's: the `lightning` library rejects with
// arrays like [503, 'UnexpectedPaymentError', {err}] whose gRPC error carries lnd's own text in
// `details`; failed payments arrive as flags of lnd's PaymentFailureReason.
import type { PaymentFailureReason } from '../../core/lightning/types.ts';
import { LightningError } from './port.ts';

type Code = LightningError['code'];

/** lnd's error texts (invoices, routerrpc, zpay32, paymentsdb, macaroons) by what they mean. */
const byDetails: Array<[RegExp, Code]> = [
  [/^unable to locate invoice|^there are no existing invoices|^payment isn't initiated/, 'not_found'],
  [/^invoice with payment hash already exists/, 'duplicate'],
  [/^invoice not for current active network/, 'wrong_network'],
  [/^invoice expired/, 'expired'],
  [/^invoice (still open|already canceled|already settled)|^amount must|mutually exclusive|^memo too large|^description hash is|^invalid (hash|preimage|vertex) length|^self-payments not allowed/, 'invalid_request'],
  [/failed to connect to all addresses|^No connection established|^Connect Failed|^unknown service lnrpc/, 'unavailable'],
];

/** The library's own names for what it recognised itself. */
const byLibraryMessage: Record<string, Code> = {
  InvoiceWithGivenHashAlreadyExists: 'duplicate',
  SecretDoesNotMatchAnyExistingHodlInvoice: 'not_found',
  SentPaymentNotFound: 'not_found',
  CannotSettleHtlcBeforeHtlcReceived: 'invalid_request',
  FailedToConnectToDaemon: 'unavailable',
  LndLocked: 'unavailable',
  ExpectedValidPaymentRequestToMakePayment: 'invalid_invoice',
};

/** Refusals about us, not about the request (authentication, a macaroon's caveat): never a request-level code. */
const credentialsRejected = /macaroon|^verification failed|^permission denied|^caveat ".*" not satisfied/;

const grpcUnavailable = 14;
const grpcDeadlineExceeded = 4;

interface GrpcError { code?: number; details?: string }

function parts(err: unknown): { status?: number; name?: string; grpc?: GrpcError } {
  if (Array.isArray(err)) {
    const [status, name, extra] = err as [unknown, unknown, { err?: GrpcError } | undefined];
    return { status: typeof status === 'number' ? status : undefined, name: typeof name === 'string' ? name : undefined, grpc: extra?.err };
  }
  if (err instanceof Error) return { name: err.message, grpc: err as GrpcError };
  return {};
}

/** Whether SendPaymentV2 refused because this hash is already paid or on its way. */
export function isDuplicatePayment(err: unknown): boolean {
  return /^(invoice is already paid|payment is in transition|payment already exists)$/.test(parts(err).grpc?.details ?? '');
}

/**
 * A LightningError when lnd's answer means something the engine can act on; `fallback` names
 * what any other refusal by lnd means for this call (e.g. `invalid_invoice` for a decode).
 * Everything else becomes a plain Error naming lnd's reason.
 */
export function lndError(err: unknown, fallback?: Code): Error {
  if (err instanceof LightningError) return err;
  const { status, name, grpc } = parts(err);
  const details = grpc?.details ?? '';
  const reason = [name, details].filter(Boolean).join(': ') || String(err);
  if (credentialsRejected.test(details)) return new Error(`lnd rejected the credentials: ${details}`, { cause: err });
  const code = byDetails.find(([re]) => re.test(details))?.[1]
    ?? (name ? byLibraryMessage[name] : undefined)
    ?? (grpc?.code === grpcUnavailable || grpc?.code === grpcDeadlineExceeded ? 'unavailable' : undefined)
    // 400: the library refused the arguments; gRPC UNKNOWN: lnd refused with a plain error
    ?? (fallback && (status === 400 || grpc?.code === 2) ? fallback : undefined)
    ?? (status === 400 ? 'invalid_request' : undefined);
  return code ? new LightningError(code, `lnd: ${reason}`) : new Error(`lnd: ${reason}`, { cause: err });
}

/** The library's failed-payment flags (from lnd's PaymentFailureReason) as the port's reason. */
export function failureReason(failed: {
  is_route_not_found?: boolean; is_pathfinding_timeout?: boolean; is_invalid_payment?: boolean;
  is_insufficient_balance?: boolean; is_canceled?: boolean;
}): PaymentFailureReason {
  if (failed.is_route_not_found) return 'no_route';
  if (failed.is_pathfinding_timeout) return 'timeout';
  if (failed.is_invalid_payment) return 'incorrect_payment_details';
  if (failed.is_insufficient_balance) return 'insufficient_balance';
  if (failed.is_canceled) return 'canceled';
  return 'error';
}
