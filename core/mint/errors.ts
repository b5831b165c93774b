// The NUT error codes (cashubtc/nuts error_codes.md), in one mapping: the API answers any
// MintError as `{ detail, code }` with HTTP 400.
import { CodedError } from '../errors.ts';

export const mintErrors = {
  10001: 'Proof verification failed',
  11001: 'Proofs already spent',
  11002: 'Proofs are pending',
  11003: 'Outputs already signed',
  11004: 'Outputs are pending',
  11005: 'Transaction is not balanced (inputs != outputs)',
  11006: 'Amount outside of limit range',
  11007: 'Duplicate inputs provided',
  11008: 'Duplicate outputs provided',
  11009: 'Inputs/Outputs of multiple units',
  11010: 'Inputs and outputs not of same unit',
  11011: 'Amountless invoice is not supported',
  11012: 'Amount in request does not equal invoice',
  11013: 'Unit in request is not supported',
  11014: 'Max inputs exceeded',
  11015: 'Max outputs exceeded',
  12001: 'Keyset is not known',
  12002: 'Keyset is inactive, cannot sign messages',
  12003: 'Keyset has expired',
  20001: 'Quote request is not paid',
  20002: 'Quote has already been issued',
  20003: 'Minting is disabled',
  20004: 'Lightning payment failed',
  20005: 'Quote is pending',
  20006: 'Invoice already paid',
  20007: 'Quote is expired',
  20008: 'Signature for mint request invalid',
  20009: 'Pubkey required for mint quote',
} as const;

export type MintErrorCode = keyof typeof mintErrors;

/** A NUT error; `detail` adds what the wallet needs to know (never a key, a host or a table). */
export class MintError extends CodedError<MintErrorCode> {
  override name = 'MintError';
  constructor(code: MintErrorCode, detail?: string) {
    super(code, detail ? `${mintErrors[code]}: ${detail}` : mintErrors[code]);
  }
}

/** A request that fits no NUT code (a wrong type, a missing field, an unknown quote): HTTP 400, code 0. */
export class MintRequestError extends CodedError<'invalid_request'> {
  override name = 'MintRequestError';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/** Errors raised inside PostgreSQL functions carry their NUT code as `mint:<code>` in the message. */
export function mintErrorOf(err: unknown): unknown {
  const m = /^mint:(\d{5})(?::(.*))?$/.exec((err as { message?: string })?.message ?? '');
  if (m && Number(m[1]) in mintErrors) return new MintError(Number(m[1]) as MintErrorCode, m[2]);
  return err;
}
