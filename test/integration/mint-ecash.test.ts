// eCash for holders of this service: a token issued from a balance (the eCash rail) that any
// Cashu wallet (cashu-ts) takes, and tokens pasted back redeemed into a balance once.
import { getEncodedToken, MintQuoteState, Wallet } from '@cashu/cashu-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { mintRules } from '../../core/mint/check.ts';
import { issueEcash } from '../../core/mint/ecash.ts';
import { MintError } from '../../core/mint/errors.ts';
import { redeemToken, TokenError } from '../../core/mint/redeem.ts';
import { NUTZAP_KIND, nutzapKey, redeemNutzap } from '../../core/mint/nutzap.ts';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { paymentRules } from '../../core/payments/check.ts';
import { startTestMint, type TestMint } from '../support/mint.ts';
import { fund, newPubkey } from '../support/wallet.ts';

let m: TestMint;
beforeAll(async () => { m = await startTestMint(); });
afterAll(async () => { await m?.close(); });

const user = async (msat = 0n) => {
  const a = await accounts.forPubkey(m.ctx.sql, newPubkey());
  if (msat) await fund(m.ctx.sql, a.id, msat);
  return a.id;
};
const ledgerIsClean = async () => expect(await check(m.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);

describe('ecash from a balance', () => {
  it('issues a token any Cashu wallet redeems; the same key gives the same token; no overdraft', async () => {
    const alice = await user(50_000n);
    const r = await issueEcash(m.ctx, { accountId: alice, idempotencyKey: 'dm-1', amountSat: 21n });
    expect(r.status).toBe('succeeded');
    if (r.status !== 'succeeded') return;
    expect(await balance(m.ctx.sql, alice)).toBe(29_000n);
    const again = await issueEcash(m.ctx, { accountId: alice, idempotencyKey: 'dm-1', amountSat: 21n });
    expect(again).toMatchObject({ status: 'succeeded', token: r.token });
    expect(await balance(m.ctx.sql, alice)).toBe(29_000n);

    const wallet = new Wallet(m.url);
    await wallet.loadMint();
    const proofs = await wallet.receive(r.token, { requireDleq: false });
    expect(proofs.reduce((s, p) => s + Number(p.amount), 0)).toBe(21);
    await expect(issueEcash(m.ctx, { accountId: alice, idempotencyKey: 'dm-2', amountSat: 30n })).rejects.toMatchObject({ code: 'insufficient_balance' });
    expect(await balance(m.ctx.sql, alice)).toBe(29_000n);
    await ledgerIsClean();
  });
});

describe('redeeming a pasted token', () => {
  it('credits our own mint\'s token once; refuses a spent, a foreign and a malformed one', async () => {
    const wallet = new Wallet(m.url);
    await wallet.loadMint();
    const quote = await wallet.createMintQuoteBolt11(40);
    await m.payFromOutside(quote.request);
    while ((await wallet.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    const proofs = await wallet.mintProofsBolt11(40, quote.quote);
    const token = getEncodedToken({ mint: m.url, proofs });
    const bob = await user();
    expect(await redeemToken(m.ctx, bob, token)).toMatchObject({ amountSat: 40n, feeSat: 0n });
    expect(await balance(m.ctx.sql, bob)).toBe(40_000n);
    await expect(redeemToken(m.ctx, bob, token)).rejects.toSatisfy((e) => e instanceof MintError && e.code === 11001);
    await expect(redeemToken(m.ctx, await user(), token)).rejects.toBeInstanceOf(MintError);
    expect(await balance(m.ctx.sql, bob)).toBe(40_000n);
    m.ctx.config.MINT_FOREIGN_DENY = ['https://other.example/'];
    await expect(redeemToken(m.ctx, bob, getEncodedToken({ mint: 'https://other.example', proofs }))).rejects.toMatchObject({ code: 'foreign' });
    await expect(redeemToken(m.ctx, bob, 'cashuBnotatoken')).rejects.toBeInstanceOf(TokenError);
    await ledgerIsClean();
  });
});

describe('redeeming a token of another mint', () => {
  it('melts it at that mint into an invoice of the holder, within the operator\'s lists and limit', async () => {
    // The "other" mint is this one under another name: its melt of our invoice settles inside the
    // ledger, so the whole path (cashu-ts at the other mint through the outbound policy, the
    // invoice, the melt, the credit) runs here.
    const other = m.url.replace('127.0.0.1', 'localhost');
    const wallet = new Wallet(other);
    await wallet.loadMint();
    const quote = await wallet.createMintQuoteBolt11(300);
    await m.payFromOutside(quote.request);
    while ((await wallet.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    const token = getEncodedToken({ mint: other, proofs: await wallet.mintProofsBolt11(300, quote.quote) });
    const carol = await user();

    m.ctx.config.MINT_FOREIGN_DENY = [other];
    await expect(redeemToken(m.ctx, carol, token)).rejects.toMatchObject({ code: 'foreign' });
    m.ctx.config.MINT_FOREIGN_DENY = undefined;
    m.ctx.config.MINT_FOREIGN_ALLOW = ['https://only.example'];
    await expect(redeemToken(m.ctx, carol, token)).rejects.toMatchObject({ code: 'foreign' });
    m.ctx.config.MINT_FOREIGN_ALLOW = [other];
    m.ctx.config.MINT_FOREIGN_MAX_SAT = 299n;
    await expect(redeemToken(m.ctx, carol, token)).rejects.toMatchObject({ code: 'too_large' });
    m.ctx.config.MINT_FOREIGN_MAX_SAT = 1000n;

    expect(await redeemToken(m.ctx, carol, token)).toMatchObject({ amountSat: 300n, feeSat: 0n });
    await expect.poll(() => balance(m.ctx.sql, carol)).toBe(300_000n);
    // Pasted again: the same job's answer, credited once.
    expect(await redeemToken(m.ctx, carol, token)).toMatchObject({ amountSat: 300n });
    expect(await balance(m.ctx.sql, carol)).toBe(300_000n);
    await ledgerIsClean();
  });
});

describe('nutzaps (NIP-61)', () => {
  it('redeems a nutzap locked to the holder\'s key into their balance, once', async () => {
    const carolSk = generateSecretKey();
    const carolPub = getPublicKey(carolSk);
    const carol = (await accounts.forPubkey(m.ctx.sql, carolPub)).id;
    const key = await nutzapKey(m.ctx, carol);
    expect(await nutzapKey(m.ctx, carol)).toBe(key);

    const wallet = new Wallet(m.url);
    await wallet.loadMint();
    const quote = await wallet.createMintQuoteBolt11(60);
    await m.payFromOutside(quote.request);
    while ((await wallet.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    const proofs = await wallet.mintProofsBolt11(60, quote.quote);
    const { keep, send } = await wallet.send(21, proofs, {}, { send: { type: 'p2pk', options: { pubkey: key } } });
    const zapper = generateSecretKey();
    const nutzap = (locked: typeof send, to = carolPub) => finalizeEvent({
      kind: NUTZAP_KIND, created_at: Math.floor(Date.now() / 1000), content: 'great post',
      tags: [...locked.map((p) => ['proof', JSON.stringify({ amount: Number(p.amount), id: p.id, secret: p.secret, C: p.C })]), ['u', m.url], ['p', to]],
    }, zapper);
    const event = nutzap(send);
    expect(await redeemNutzap(m.ctx, event)).toMatchObject({ status: 'redeemed', redeemed: { amountSat: 21n } });
    expect(await balance(m.ctx.sql, carol)).toBe(21_000n);
    expect(await redeemNutzap(m.ctx, event)).toMatchObject({ status: 'duplicate' });
    expect(await redeemNutzap(m.ctx, nutzap(send))).toMatchObject({ status: 'duplicate' });
    expect(await balance(m.ctx.sql, carol)).toBe(21_000n);
    // Not locked to a key of ours, or for someone without one: left alone.
    const { send: other } = await wallet.send(5, keep, {}, { send: { type: 'p2pk', options: { pubkey: `02${getPublicKey(generateSecretKey())}` } } });
    expect(await redeemNutzap(m.ctx, nutzap(other))).toMatchObject({ status: 'ignored' });
    expect(await redeemNutzap(m.ctx, nutzap(send, getPublicKey(generateSecretKey())))).toMatchObject({ status: 'ignored' });
    await ledgerIsClean();
  });
});
