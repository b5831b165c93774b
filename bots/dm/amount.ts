// Amounts as people type them in a DM ("1000", "1k", "21 sats", "2.5k sat", "0.0001 btc",
// "1,000", "5000 msat") → millisatoshi, by decimal string arithmetic: never a float.

export type AmountError = 'empty' | 'malformed' | 'negative' | 'zero' | 'fractional-msat' | 'too-large';
export type AmountResult = { ok: true; msat: bigint } | { ok: false; error: AmountError };

/** 21 million BTC: no amount above it means anything. */
export const MAX_MSAT = 21_000_000n * 100_000_000n * 1000n;

const UNIT_MSAT: Record<string, bigint> = {
  msat: 1n, msats: 1n, millisat: 1n, millisats: 1n,
  sat: 1000n, sats: 1000n, satoshi: 1000n, satoshis: 1000n,
  btc: 100_000_000_000n, bitcoin: 100_000_000_000n, '₿': 100_000_000_000n,
};

/** True when `word` is a unit on its own ("sats" in "21 sats"), so a parser can take it along. */
export const isAmountUnit = (word: string): boolean => word.toLowerCase() in UNIT_MSAT;

// Digits with optional thousands groups, optional fraction, optional k (thousand), optional
// unit. No "m": million or milli would be a guess, and a wrong guess moves money.
const AMOUNT = /^([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.([0-9]+))?(k)?\s*([a-z₿]*)$/;

export function parseAmount(input: string): AmountResult {
  const text = input.trim().toLowerCase();
  if (!text) return { ok: false, error: 'empty' };
  if (text.length > 40) return { ok: false, error: /^[0-9,]+$/.test(text) ? 'too-large' : 'malformed' };
  if (/^-\s*[0-9.,]/.test(text)) return { ok: false, error: 'negative' };
  const m = AMOUNT.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined)) return { ok: false, error: 'malformed' };
  const [, whole = '0', fraction = '', suffix = '', unitWord = ''] = m;
  const unit = UNIT_MSAT[unitWord || 'sat'];
  if (unit === undefined) return { ok: false, error: 'malformed' };
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole.replaceAll(',', '') + fraction) * (suffix ? 1000n : 1n) * unit;
  if (scaled % scale !== 0n) return { ok: false, error: 'fractional-msat' };
  const msat = scaled / scale;
  if (msat === 0n) return { ok: false, error: 'zero' };
  if (msat > MAX_MSAT) return { ok: false, error: 'too-large' };
  return { ok: true, msat };
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const numberFormat = (locale: string): Intl.NumberFormat => {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, f = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }));
  return f;
};

/**
 * Sats in the reader's number format: "1,000.5 sats" in English (which `parseAmount` reads
 * back exactly), "1000,5 sats" / "10.000 sats" in Spanish. Formatted from a decimal string,
 * so no amount passes through a float.
 */
export function formatAmount(msat: bigint, locale = 'en'): string {
  const abs = msat < 0n ? -msat : msat;
  const decimal = `${msat < 0n ? '-' : ''}${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}` as Intl.StringNumericLiteral;
  return `${numberFormat(locale).format(decimal)} ${abs === 1000n ? 'sat' : 'sats'}`;
}
