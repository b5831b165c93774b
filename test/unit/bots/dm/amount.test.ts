import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, MAX_MSAT, parseAmount } from '../../../../bots/dm/amount.ts';
import { t } from '../../../../bots/dm/i18n/index.ts';

const msat = (input: string) => {
  const r = parseAmount(input);
  return r.ok ? r.msat : r.error;
};

describe('parseAmount', () => {
  it.each([
    ['1000', 1_000_000n], ['1k', 1_000_000n], ['21 sats', 21_000n], ['21sats', 21_000n], ['1 sat', 1000n],
    ['2.5k sat', 2_500_000n], ['2.5K SATS', 2_500_000n], ['0.0001 btc', 10_000_000n], ['1 BTC', 100_000_000_000n],
    ['1,000', 1_000_000n], ['1,000,000 sats', 1_000_000_000n], ['5000 msat', 5000n], ['1 msat', 1n],
    ['0.001 sats', 1n], ['1.5', 1500n], ['.5k', 500_000n], ['21 satoshis', 21_000n], ['  42  ', 42_000n],
    ['0.00000001 btc', 1000n], ['0.00000000001 btc', 1n], ['21000000 btc', MAX_MSAT],
  ])('%j → %s msat', (input, expected) => {
    expect(msat(input)).toBe(expected);
  });

  it.each([
    ['', 'empty'], ['   ', 'empty'],
    ['-5', 'negative'], ['-1k', 'negative'], ['- 2 sats', 'negative'],
    ['0', 'zero'], ['0 sats', 'zero'], ['0.000 btc', 'zero'], ['0k', 'zero'],
    ['0.5 msat', 'fractional-msat'], ['0.0001 sats', 'fractional-msat'], ['0.000000000001 btc', 'fractional-msat'],
    ['21000001 btc', 'too-large'], ['9'.repeat(30), 'too-large'], ['9'.repeat(50), 'too-large'],
    ['abc', 'malformed'], ['1e3', 'malformed'], ['1,00', 'malformed'], ['1000,000', 'malformed'], ['1.2.3', 'malformed'],
    ['12 euros', 'malformed'], ['k', 'malformed'], ['sats', 'malformed'], ['1 k', 'malformed'], ['1m', 'malformed'],
    ['0x10', 'malformed'], ['+5', 'malformed'], ['NaN', 'malformed'], ['Infinity', 'malformed'], ['5 sats sats', 'malformed'],
  ])('rejects %j: %s', (input, error) => {
    expect(msat(input)).toBe(error);
  });
});

describe('formatAmount', () => {
  it('reads well', () => {
    expect(formatAmount(1000n)).toBe('1 sat');
    expect(formatAmount(21_000n)).toBe('21 sats');
    expect(formatAmount(1_234_567_000n)).toBe('1,234,567 sats');
    expect(formatAmount(1_500n)).toBe('1.5 sats');
    expect(formatAmount(1n)).toBe('0.001 sats');
    expect(formatAmount(-21_000n)).toBe('-21 sats');
  });

  it('follows the reader\'s number format, exactly', () => {
    expect(formatAmount(3_488_500n, 'es')).toBe('3488,5 sats');
    expect(formatAmount(12_345_500n, 'es')).toBe('12.345,5 sats');
    expect(formatAmount(3_488_500n, 'ja')).toBe('3,488.5 sats');
    expect(formatAmount(MAX_MSAT - 1n, 'es')).toBe('2.099.999.999.999.999,999 sats');
  });

  it('shows Spanish balances in Spanish numbers', () => {
    expect(t('es', 'balance', { msat: 12_345_500n, pendingMsat: 0n })).toBe('Saldo: 12.345,5 sats');
    expect(t('en', 'balance', { msat: 12_345_500n, pendingMsat: 0n })).toBe('Balance: 12,345.5 sats');
  });
});

describe('amount properties', () => {
  const amount = fc.bigInt({ min: 1n, max: MAX_MSAT });

  it('parsing a formatted amount gives it back exactly', () => {
    fc.assert(fc.property(amount, (m) => { expect(parseAmount(formatAmount(m))).toEqual({ ok: true, msat: m }); }));
  });

  it('sats, msat, k and btc spellings of one amount agree', () => {
    const sats = fc.bigInt({ min: 1n, max: MAX_MSAT / 1000n });
    fc.assert(fc.property(sats, (s) => {
      const btc = `${s / 100_000_000n}.${(s % 100_000_000n).toString().padStart(8, '0')} btc`;
      const k = `${s / 1000n}.${(s % 1000n).toString().padStart(3, '0')}k`;
      for (const spelling of [`${s}`, `${s} sats`, `${s * 1000n} msat`, btc, k]) expect(parseAmount(spelling)).toEqual({ ok: true, msat: s * 1000n });
    }));
  });

  it('never throws, and every accepted amount is positive and at most 21M BTC', () => {
    const word = fc.oneof(fc.string(), fc.stringMatching(/^-?[0-9,.]{0,25}(k)? ?(sats?|msats?|btc|x)?$/));
    fc.assert(fc.property(word, (input) => {
      const r = parseAmount(input);
      if (r.ok) expect(r.msat > 0n && r.msat <= MAX_MSAT).toBe(true);
    }), { numRuns: 2000 });
  });
});
