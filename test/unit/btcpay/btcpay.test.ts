import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBtc, toMsat } from '../../../core/btcpay/amounts.ts';
import { buyerOf, rewardFor, rewardRuleInput } from '../../../core/btcpay/rewards.ts';
import { signatureOk } from '../../../core/btcpay/webhooks.ts';
import { missingPermissions } from '../../../workers/btcpay/link.ts';

describe('Greenfield amounts', () => {
  it('reads BTC and SATS decimals exactly, to the msat', () => {
    expect(toMsat('0.00021000', 'BTC')).toBe(21_000_000n);
    expect(toMsat('1.23456789012', 'BTC')).toBe(123_456_789_012n);
    expect(toMsat('21000', 'SATS')).toBe(21_000_000n);
    expect(toMsat('0.5', 'sats')).toBe(500n);
    for (const [a, c] of [['0.000000000001', 'BTC'], ['5.00', 'USD'], ['1e3', 'BTC'], ['-1', 'BTC'], ['', 'BTC']]) expect(() => toMsat(a!, c!), `${a} ${c}`).toThrow();
  });

  it('writes whole sats as an 8-decimal BTC string', () => {
    expect(toBtc(1_000_999n)).toBe('0.00001000');
    expect(toBtc(2_100_000_000_000_000n)).toBe('21000.00000000');
  });
});

describe('rewards', () => {
  it('takes the percentage, caps it, and rounds down to whole sats', () => {
    const rule = { basisPoints: 250, maxMsat: 1_000_000n };
    expect(rewardFor(rule, 10_000_000n)).toBe(250_000n);
    expect(rewardFor(rule, 10_000_399n)).toBe(250_000n);
    expect(rewardFor(rule, 100_000_000n)).toBe(1_000_000n);
    expect(rewardFor(rule, 39_999n)).toBe(0n);
  });

  it('reads percentages to two decimals as basis points', () => {
    expect(rewardRuleInput.parse({ percent: '2', maxSats: '1' }).percent).toBe(200);
    expect(rewardRuleInput.parse({ percent: '0.01', maxSats: '1' }).percent).toBe(1);
    for (const percent of ['0', '100.01', '2.555', '-1', 'two']) expect(rewardRuleInput.safeParse({ percent, maxSats: '1' }).success, percent).toBe(false);
  });

  it('finds the buyer in the metadata: a recipient first, else a card', () => {
    expect(buyerOf({ flashBuyer: ' alice@example.com ', flashCardId: 'c1' })).toEqual({ type: 'recipient', text: 'alice@example.com' });
    expect(buyerOf({ flashCardId: 'c1' })).toEqual({ type: 'card', cardId: 'c1' });
    expect(buyerOf({ buyerEmail: 'a@b.c' })).toBeUndefined();
    expect(buyerOf({ flashBuyer: 42 })).toBeUndefined();
    expect(buyerOf(undefined)).toBeUndefined();
  });
});

describe('webhook signature', () => {
  const body = Buffer.from('{"type":"InvoiceSettled"}');
  const sig = `sha256=${createHmac('sha256', 'secret').update(body).digest('hex')}`;
  it('accepts BTCPay-Sig of the exact bytes only', () => {
    expect(signatureOk('secret', body, sig)).toBe(true);
    expect(signatureOk('secret', body, sig.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
    for (const h of [undefined, '', sig.slice(0, -1), `sha1=${sig.slice(7)}`, sig.replace('sha256=', '')]) expect(signatureOk('secret', body, h), String(h)).toBe(false);
    expect(signatureOk('other', body, sig)).toBe(false);
    expect(signatureOk('secret', Buffer.from('{"type": "InvoiceSettled"}'), sig)).toBe(false);
  });
});

describe('API key permissions', () => {
  it('counts unscoped, store-scoped and unrestricted grants, not other stores', () => {
    const all = ['btcpay.store.webhooks.canmodifywebhooks', 'btcpay.store.canviewinvoices', 'btcpay.store.cancreatepullpayments', 'btcpay.store.canmanagepullpayments'];
    expect(missingPermissions(all, 's1')).toEqual([]);
    expect(missingPermissions(all.map((p) => `${p}:s1`), 's1')).toEqual([]);
    expect(missingPermissions(['unrestricted'], 's1')).toEqual([]);
    expect(missingPermissions(all.map((p) => `${p}:s2`), 's1')).toEqual(all);
    expect(missingPermissions(all.slice(1), 's1')).toEqual([all[0]]);
  });
});
