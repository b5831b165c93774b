import { describe, expect, it } from 'vitest';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { decrypt, encrypt, Nip47Error, parseJson, parseParams, peer, requestEncryption, stringifyJson } from '../../../../bots/nwc/nip47.ts';
import { RateLimiter } from '../../../../bots/nwc/rate-limit.ts';

describe('NIP-47 wire JSON', () => {
  it('reads integers exactly as bigints, at any size, and leaves other numbers alone', () => {
    expect(parseJson('{"amount":9007199254740993,"n":[1,-2],"x":1.5,"e":1e3,"s":"7"}')).toEqual({ amount: 9007199254740993n, n: [1n, -2n], x: 1.5, e: 1000, s: '7' });
    expect(parseJson(`{"a":1${'0'.repeat(30)}}`)).toEqual({ a: 10n ** 30n });
  });

  it('writes bigints as plain integers', () => {
    expect(stringifyJson({ balance: 2n ** 64n, fees_paid: 0n, x: null })).toBe('{"balance":18446744073709551616,"fees_paid":0,"x":null}');
  });
});

describe('encryption', () => {
  it('takes the scheme from the encryption tag, NIP-04 when there is none', () => {
    expect(requestEncryption({ tags: [] })).toBe('nip04');
    expect(requestEncryption({ tags: [['encryption', 'nip44_v2']] })).toBe('nip44_v2');
    expect(requestEncryption({ tags: [['encryption', 'nip04']] })).toBe('nip04');
    expect(requestEncryption({ tags: [['encryption', 'nip44_v3']] })).toBeUndefined();
  });

  it('round-trips both schemes between the two keys', () => {
    const a = generateSecretKey();
    const b = generateSecretKey();
    for (const scheme of ['nip44_v2', 'nip04'] as const) {
      const text = encrypt(scheme, peer(a, getPublicKey(b)), 'hello');
      expect(decrypt(scheme, peer(b, getPublicKey(a)), text)).toBe('hello');
    }
  });
});

describe('params', () => {
  it('parses each method\'s params and refuses wrong types with OTHER', () => {
    expect(parseParams('pay_invoice', { invoice: 'lnbc1', amount: 5n })).toEqual({ invoice: 'lnbc1', amount: 5n });
    expect(parseParams('list_transactions', { limit: 10n, type: 'incoming' })).toEqual({ limit: 10, type: 'incoming' });
    for (const [method, params] of [
      ['pay_invoice', { invoice: 'lnbc1', amount: 5 }],
      ['pay_invoice', { invoice: 'lnbc1', amount: -5n }],
      ['make_invoice', { amount: 2n ** 64n }],
      ['list_transactions', { limit: -1n }],
      ['lookup_invoice', {}],
      ['settle_hold_invoice', { preimage: 'xyz' }],
    ] as const) {
      expect(() => parseParams(method, params), JSON.stringify(params, (_k, v: unknown) => String(v))).toThrow(Nip47Error);
    }
  });

  it('drops metadata over 4096 characters', () => {
    expect(parseParams('make_invoice', { amount: 1n, metadata: { c: 'x'.repeat(5000) } }).metadata).toBeUndefined();
    expect(parseParams('make_invoice', { amount: 1n, metadata: { c: 'x' } }).metadata).toEqual({ c: 'x' });
  });
});

describe('rate limiter', () => {
  it('lets a minute\'s worth through, then refills over time; 0 is unlimited', () => {
    const r = new RateLimiter(60);
    const t = 1_000_000;
    for (let i = 0; i < 60; i++) expect(r.take('a', t)).toBe(true);
    expect(r.take('a', t)).toBe(false);
    expect(r.take('b', t)).toBe(true);
    expect(r.take('a', t + 1000)).toBe(true);
    expect(r.take('a', t + 1000)).toBe(false);
    const free = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(free.take('a')).toBe(true);
  });
});
