// LND's answers, in the shapes the `lightning` library rejects with, mapped to the port's errors.
import { describe, expect, it } from 'vitest';
import { failureReason, isDuplicatePayment, lndError } from '../../workers/lightning/lnd-errors.ts';
import { LightningError } from '../../workers/lightning/port.ts';

const rejected = (name: string, details: string, code = 2) => [503, name, { err: Object.assign(new Error(`${code} X: ${details}`), { code, details }) }];
const codeOf = (e: Error) => (e instanceof LightningError ? e.code : 'plain');

describe('lndError', () => {
  it('reads lnd\'s error text first', () => {
    expect(codeOf(lndError(rejected('UnexpectedLookupInvoiceErr', 'unable to locate invoice', 5)))).toBe('not_found');
    expect(codeOf(lndError(rejected('UnexpectedErrorCancelingHodlInvoice', 'invoice already settled')))).toBe('invalid_request');
    expect(codeOf(lndError(rejected('UnexpectedPaymentError', 'invoice expired. Valid until 2026-01-01 00:00:00 +0000 UTC')))).toBe('expired');
    expect(codeOf(lndError(rejected('UnexpectedDecodePaymentRequestError', "invoice not for current active network 'regtest'"), 'invalid_invoice'))).toBe('wrong_network');
    expect(codeOf(lndError(rejected('AddInvoiceError', 'invoice with payment hash already exists')))).toBe('duplicate');
  });

  it('falls back to the library\'s own names, then to gRPC codes', () => {
    expect(codeOf(lndError([409, 'InvoiceWithGivenHashAlreadyExists']))).toBe('duplicate');
    expect(codeOf(lndError([404, 'SentPaymentNotFound']))).toBe('not_found');
    expect(codeOf(lndError([503, 'FailedToConnectToDaemon']))).toBe('unavailable');
    expect(codeOf(lndError(rejected('GetWalletInfoErr', 'No connection established', 14)))).toBe('unavailable');
    expect(codeOf(lndError([400, 'ExpectedPaymentHashToLookupPastPaymentStatus']))).toBe('invalid_request');
  });

  it('uses the call\'s fallback only for refusals by lnd, never for credentials or outages', () => {
    expect(codeOf(lndError(rejected('UnexpectedDecodePaymentRequestError', 'invalid checksum'), 'invalid_invoice'))).toBe('invalid_invoice');
    expect(codeOf(lndError(rejected('UnexpectedDecodePaymentRequestError', 'verification failed: signature mismatch after caveat verification'), 'invalid_invoice'))).toBe('plain');
    expect(codeOf(lndError(rejected('UnexpectedDecodePaymentRequestError', 'expected 1 macaroon, got 0'), 'invalid_invoice'))).toBe('plain');
    expect(codeOf(lndError(rejected('UnexpectedDecodePaymentRequestError', 'connection reset', 14), 'invalid_invoice'))).toBe('unavailable');
    const unknown = lndError([503, 'SomethingNew', { err: { details: 'boom' } }]);
    expect(codeOf(unknown)).toBe('plain');
    expect(unknown.message).toBe('lnd: SomethingNew: boom');
  });

  it('recognises a second payment of the same hash', () => {
    expect(isDuplicatePayment(rejected('UnexpectedPaymentError', 'invoice is already paid', 6))).toBe(true);
    expect(isDuplicatePayment(rejected('UnexpectedPaymentError', 'payment is in transition', 6))).toBe(true);
    expect(isDuplicatePayment(rejected('UnexpectedPaymentError', 'invoice expired'))).toBe(false);
  });
});

describe('failureReason', () => {
  it('maps lnd\'s failure flags', () => {
    expect(failureReason({ is_route_not_found: true })).toBe('no_route');
    expect(failureReason({ is_pathfinding_timeout: true })).toBe('timeout');
    expect(failureReason({ is_invalid_payment: true })).toBe('incorrect_payment_details');
    expect(failureReason({ is_insufficient_balance: true })).toBe('insufficient_balance');
    expect(failureReason({ is_canceled: true })).toBe('canceled');
    expect(failureReason({})).toBe('error');
  });
});
