// The official vectors of cashubtc/nuts (tests/00, 02, 12) against our own NUT code.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { baseMul, blindMessage, hashToCurve, pointFromHex, pointHex, scalarFromHex, signBlinded, unblind, verifyProof } from '../../../core/mint/nut00.ts';
import { inputFee, keysetIdV1, keysetIdV2, splitAmount } from '../../../core/mint/nut02.ts';
import { hashE, proveDleq, verifyDleq } from '../../../core/mint/nut12.ts';

const h2c = (hex: string) => pointHex(hashToCurve(hexToBytes(hex)));

describe('NUT-00', () => {
  it('hash_to_curve', () => {
    expect(h2c('0000000000000000000000000000000000000000000000000000000000000000')).toBe('024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725');
    expect(h2c('0000000000000000000000000000000000000000000000000000000000000001')).toBe('022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf');
    expect(h2c('0000000000000000000000000000000000000000000000000000000000000002')).toBe('026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f');
  });

  it('blinded messages', () => {
    const B = (x: string, r: string) => pointHex(blindMessage(hexToBytes(x), scalarFromHex(r)));
    expect(B('d341ee4871f1f889041e63cf0d3823c713eea6aff01e80f1719f08f9e5be98f6', '99fce58439fc37412ab3468b73db0569322588f62fb3a49182d67e23d877824a'))
      .toBe('033b1a9737a40cc3fd9b6af4b723632b76a67a36782596304612a6c2bfb5197e6d');
    expect(B('f1aaf16c2239746f369572c0784d9dd3d032d952c2d992175873fb58fae31a60', 'f78476ea7cc9ade20f9e05e58a804cf19533f03ea805ece5fee88c8e2874ba50'))
      .toBe('029bdf2d716ee366eddf599ba252786c1033f47e230248a4612a5670ab931f1763');
  });

  it('blinded signatures', () => {
    const B_ = pointFromHex('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
    expect(pointHex(signBlinded(1n, B_))).toBe('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
    expect(pointHex(signBlinded(scalarFromHex('7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f'), B_)))
      .toBe('0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d');
  });

  it('a blinded, signed and unblinded secret verifies under its key only', () => {
    const k = 12345678901234567890n;
    const r = 987654321n;
    const secret = 'a6d13fcd7a18442e6076f5e1e7c887ad';
    const C = unblind(signBlinded(k, blindMessage(new TextEncoder().encode(secret), r)), r, baseMul(k));
    expect(verifyProof(k, secret, C)).toBe(true);
    expect(verifyProof(k + 1n, secret, C)).toBe(false);
    expect(verifyProof(k, `${secret}x`, C)).toBe(false);
  });
});

describe('NUT-02', () => {
  it('keyset id version 2', () => {
    const keys = {
      1: '03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc',
      2: '03fd4ce5a16b65576145949e6f99f445f8249fee17c606b688b504a849cdc452de',
      4: '02648eccfa4c026960966276fa5a4cae46ce0fd432211a4f449bf84f13aa5f8303',
      8: '02fdfd6796bfeac490cbee12f778f867f0a2c68f6508d17c649759ea0dc3547528',
    };
    expect(keysetIdV2(keys, 'sat', 100, 2059210353)).toBe('015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a');
    expect(keysetIdV1(keys)).toBe('00456a94ab4e1c46');
  });

  it('input fees are summed per input and rounded up', () => {
    expect(inputFee([100, 100, 100])).toBe(1n);
    expect(inputFee(Array(10).fill(100))).toBe(1n);
    expect(inputFee(Array(11).fill(100))).toBe(2n);
    expect(inputFee([0, 0])).toBe(0n);
    expect(splitAmount(13n)).toEqual([1n, 4n, 8n]);
  });
});

describe('NUT-12', () => {
  it('hash_e', () => {
    const one = pointFromHex('020000000000000000000000000000000000000000000000000000000000000001');
    expect(bytesToHex(hashE(one, one, one, pointFromHex('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2'))))
      .toBe('a4dc034b74338c28c6bc3ea49731f2a24440fc7c4affc08b31a93fc9fbe6401e');
  });

  it('the deterministic nonce gives the vector e and s', () => {
    const a = 2n;
    const A = pointFromHex('02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5');
    const B_ = pointFromHex('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
    const C_ = pointFromHex('0244eccfc7a348274458bb38044c7f3c389b3c2086c7ec18b5812d2877ab937787');
    const d = proveDleq(a, A, B_, C_);
    expect(d).toEqual({ e: '2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3', s: '9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab' });
    expect(verifyDleq(d, A, B_, C_)).toBe(true);
  });

  it('verifies the vector blind signature and refuses a changed one', () => {
    const A = pointFromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    const B_ = pointFromHex('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
    const d = { e: '9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73d9', s: '9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73da' };
    expect(verifyDleq(d, A, B_, B_)).toBe(true);
    expect(verifyDleq({ ...d, s: '9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73db' }, A, B_, B_)).toBe(false);
  });
});
