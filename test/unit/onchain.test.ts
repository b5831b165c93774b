// Pure on-chain logic: fee shares, Bitcoin Core's amounts, descriptor checksums, address checks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as bitcoinjs from 'bitcoinjs-lib';
import { feeShares } from '../../core/onchain/fees.ts';
import { btcToSat, satToBtc } from '../../core/onchain/network.ts';
import { descriptorChecksum, withChecksum } from '../../core/onchain/descriptor.ts';
import { dustLimitSat, parseAddress } from '../../core/onchain/address.ts';

describe('feeShares', () => {
  it('splits a fee by output size and always sums to it exactly', () => {
    expect(feeShares(1000n, [31, 31, 43])).toEqual([295n, 295n, 410n]);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 200 }), (fee, sizes) => {
      const shares = feeShares(fee, sizes);
      expect(shares.reduce((s, x) => s + x, 0n)).toBe(fee);
      // Never off the exact proportion by a whole millisatoshi or more.
      const total = BigInt(sizes.reduce((s, v) => s + v, 0));
      shares.forEach((x, i) => { const d = x * total - fee * BigInt(sizes[i]!); expect(d > -total && d < total).toBe(true); });
    }));
  });
});

describe("Bitcoin Core's amounts", () => {
  it('reads numbers and the strings bitcoin-core gives for more than 15 digits, exactly', () => {
    expect(btcToSat(0.00012345)).toBe(12_345n);
    expect(btcToSat(1e-7)).toBe(10n);
    expect(btcToSat('20999999.97690000')).toBe(2_099_999_997_690_000n);
    expect(btcToSat(-0.5)).toBe(-50_000_000n);
    expect(satToBtc(2_099_999_997_690_000n)).toBe('20999999.97690000');
    expect(() => btcToSat('1.123456789')).toThrow();
  });
});

describe('descriptors', () => {
  it('computes BIP-380 checksums and refuses a wrong one', () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
    expect(() => withChecksum('raw(deadbeef)#89f8spxn')).toThrow(/checksum mismatch/);
  });
});

describe('withdrawal addresses', () => {
  it('checks form, checksum and network, and knows dust limits', () => {
    const p2wpkh = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
    expect(parseAddress(p2wpkh.toUpperCase(), 'regtest')).toMatchObject({ address: p2wpkh, type: 'p2wpkh' });
    expect(() => parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest')).toThrow(/mainnet/);
    expect(() => parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'mainnet')).toThrow(/checksum/);
    const legacy = bitcoinjs.payments.p2pkh({ hash: Buffer.alloc(20, 1), network: bitcoinjs.networks.bitcoin }).address!;
    expect(parseAddress(legacy, 'mainnet').type).toBe('p2pkh');
    expect(dustLimitSat(parseAddress(legacy, 'mainnet').script)).toBe(546n);
    expect(dustLimitSat(parseAddress(p2wpkh, 'regtest').script)).toBe(294n);
  });
});
