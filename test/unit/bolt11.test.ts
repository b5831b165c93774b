import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bech32 } from '@scure/base';
import { decode } from 'light-bolt11-decoder';
import { describe, expect, it } from 'vitest';
import { Bolt11Error, decodeBolt11, encodeBolt11, type EncodeRequest } from '../../core/lightning/bolt11.ts';

const key = secp256k1.utils.randomSecretKey();
const base = (): EncodeRequest => ({
  privateKey: key, network: 'regtest', paymentHash: bytesToHex(randomBytes(32)), paymentSecret: bytesToHex(randomBytes(32)),
  createdAt: new Date(), expirySeconds: 3600, cltvDelta: 40,
});

/** The fields a third-party decoder reports, by section name. */
function thirdParty(pr: string) {
  const d = decode(pr);
  const s = Object.fromEntries(d.sections.filter((x) => 'value' in x).map((x) => [x.name, (x as { value: unknown }).value]));
  return { s, expiry: d.expiry };
}

describe('BOLT 11', () => {
  it.each([
    ['amount and description', { amountMsat: 123_456n, description: 'coffee ☕' }],
    ['amountless', {}],
    ['description hash', { amountMsat: 1000n, descriptionHash: 'ab'.repeat(32) }],
    ['sub-satoshi amount', { amountMsat: 1n, description: 'x' }],
  ] as const)('encodes what light-bolt11-decoder decodes identically (%s)', (_name, extra) => {
    const req = { ...base(), ...extra };
    const pr = encodeBolt11(req);
    const ours = decodeBolt11(pr);
    const { s, expiry } = thirdParty(pr);
    expect(s.payment_hash).toBe(ours.paymentHash);
    expect(s.payment_hash).toBe(req.paymentHash);
    expect(s.payment_secret).toBe(req.paymentSecret);
    expect(s.payee ?? undefined).toBe(ours.destination);
    expect(ours.destination).toBe(bytesToHex(secp256k1.getPublicKey(key, true)));
    expect(s.amount === undefined ? undefined : BigInt(s.amount as string)).toBe(ours.amountMsat);
    expect(ours.amountMsat).toBe('amountMsat' in req ? req.amountMsat : undefined);
    expect(s.description).toBe(ours.description);
    expect(s.description_hash).toBe(ours.descriptionHash);
    expect((s.timestamp as number) * 1000).toBe(ours.createdAt.getTime());
    expect(expiry).toBe((ours.expiresAt.getTime() - ours.createdAt.getTime()) / 1000);
    expect(s.min_final_cltv_expiry).toBe(ours.minFinalCltvExpiry);
    expect((s.coin_network as { bech32: string }).bech32).toBe('bcrt');
    expect(ours.network).toBe('regtest');
  });

  it('names the network of other chains', () => {
    expect(decodeBolt11(encodeBolt11({ ...base(), network: 'mainnet' })).paymentRequest).toMatch(/^lnbc1/);
    expect(decodeBolt11(encodeBolt11({ ...base(), network: 'mainnet' })).network).toBe('mainnet');
    expect(decodeBolt11(encodeBolt11({ ...base(), network: 'testnet' })).network).toBe('testnet');
  });

  it('accepts upper case and a lightning: prefix', () => {
    const pr = encodeBolt11(base());
    expect(decodeBolt11(`LIGHTNING:${pr.toUpperCase()}`).paymentRequest).toBe(pr);
  });

  it('refuses garbage, a bad checksum, a forged signature and oversize input', () => {
    const pr = encodeBolt11({ ...base(), amountMsat: 5000n });
    // A valid checksum over altered data (one word of the payment hash): the signature no longer matches.
    const { prefix, words } = bech32.decode(pr as `${string}1${string}`, 8000);
    const forged = bech32.encode(prefix, words.map((w, i) => (i === 12 ? (w + 1) % 32 : w)), 8000);
    for (const bad of ['', 'hello', 'lnbcrt1', pr.slice(0, -1) + (pr.endsWith('q') ? 'p' : 'q'), forged, 'lnbcrt1' + 'q'.repeat(8000)]) {
      expect(() => decodeBolt11(bad)).toThrow(Bolt11Error);
    }
  });
});
