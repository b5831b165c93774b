// Greenfield amounts are decimal strings in the invoice's or pull payment's currency; Flash's are
// msat bigints. Only bitcoin denominations convert exactly: BTC (8 decimals, 11 with msat) and SATS.
import { BtcpayError } from './errors.ts';

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A decimal amount of BTC or SATS as msat, exactly (refused when it has finer digits than a msat). */
export function toMsat(amount: string, currency: string): bigint {
  const m = DECIMAL.exec(amount.trim());
  const digits = { BTC: 11, SATS: 3 }[currency.toUpperCase()];
  if (!m || digits === undefined) throw new BtcpayError('unsupported_amount', `cannot read ${amount} ${currency} as bitcoin`);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) throw new BtcpayError('unsupported_amount', `${amount} ${currency} is finer than a millisatoshi`);
  return BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
}

/** Whole sats of `msat` as a BTC decimal string (8 decimals), as Greenfield takes amounts. */
export function toBtc(msat: bigint): string {
  const sats = msat / 1000n;
  return `${sats / 100_000_000n}.${(sats % 100_000_000n).toString().padStart(8, '0')}`;
}
