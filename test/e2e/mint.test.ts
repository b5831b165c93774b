// The mint end to end with @cashu/cashu-ts as the only client: mint quote → paid from outside
// (fake node) → mint → send → receive → melt to an outside invoice, with change; then the
// ledger's mint account equals the eCash outstanding.
import { getEncodedToken, hasValidDleq, MintQuoteState, Wallet, type Proof } from '@cashu/cashu-ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { mintRules } from '../../core/mint/check.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { post, rawOutputs, startTestMint, type TestMint } from '../support/mint.ts';

let m: TestMint;
beforeAll(async () => { m = await startTestMint(); });
afterAll(async () => { await m?.close(); });

const sum = (ps: Proof[]) => ps.reduce((s, p) => s + BigInt(p.amount.toString()), 0n);

async function newWallet(): Promise<Wallet> {
  const w = new Wallet(m.url);
  await w.loadMint();
  return w;
}

/** Mints `amount` sats into a new wallet, paying the quote from the outside node. */
async function funded(amount: number): Promise<{ wallet: Wallet; proofs: Proof[] }> {
  const wallet = await newWallet();
  const quote = await wallet.createMintQuoteBolt11(amount);
  expect(quote.state).toBe(MintQuoteState.UNPAID);
  await m.payFromOutside(quote.request);
  // The invoice watcher credits the quote's invoice soon after the node settles it.
  while ((await wallet.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
  const proofs = await wallet.mintProofsBolt11(amount, quote.quote);
  expect((await wallet.checkMintQuoteBolt11(quote.quote)).state).toBe(MintQuoteState.ISSUED);
  return { wallet, proofs };
}

const ledgerIsClean = async () => expect(await check(m.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);

describe('mint with cashu-ts', () => {
  it('mints, sends, receives and melts; the ledger holds the eCash outstanding', async () => {
    const { wallet, proofs } = await funded(1000);
    expect(sum(proofs)).toBe(1000n);
    const keyset = wallet.keyChain.getKeyset(proofs[0]!.id);
    for (const p of proofs) expect(hasValidDleq(p, keyset, { require: true })).toBe(true);
    expect(await balance(m.ctx.sql, systemAccounts.mint)).toBe(1_000_000n);

    const { keep, send } = await wallet.send(300, proofs);
    const token = getEncodedToken({ mint: m.url, proofs: send });
    const bob = await newWallet();
    const received = await bob.receive(token, { requireDleq: true });
    expect(sum(received)).toBe(300n);
    // The same token again: its proofs are spent (11001).
    await expect(bob.receive(token)).rejects.toThrow(/already spent/i);

    const invoice = await m.externalInvoice(200_000n);
    const quote = await wallet.createMeltQuoteBolt11(invoice);
    expect(Number(quote.amount)).toBe(200);
    const { keep: rest, send: toMelt } = await wallet.send(quote.amount.add(quote.fee_reserve), keep, { includeFees: true });
    const melted = await wallet.meltProofsBolt11(quote, toMelt);
    expect(melted.quote.state).toBe('PAID');
    // 200 sat + the node's fee of 1.2 sat (1 sat + 0.1 %) charged as 2 sat; the rest of the reserve comes back as change.
    expect(sum(toMelt) - sum(melted.change)).toBe(202n);
    expect(melted.change.length).toBeGreaterThan(0);
    const states = await wallet.checkProofsStates(toMelt);
    expect(states.every((s) => s.state === 'SPENT')).toBe(true);

    const outstanding = sum(rest) + sum(melted.change) + sum(received);
    expect(await balance(m.ctx.sql, systemAccounts.mint)).toBe(outstanding * 1000n);
    await ledgerIsClean();
  });

  it('locks to a key (P2PK, SIG_INPUTS and SIG_ALL) and unlocks with it only; refund keys after the locktime', async () => {
    const bobKey = bytesToHex(secp256k1.utils.randomSecretKey());
    const bobPub = bytesToHex(secp256k1.getPublicKey(Buffer.from(bobKey, 'hex'), true));
    const bob = await newWallet();
    for (const sigFlag of ['SIG_INPUTS', 'SIG_ALL'] as const) {
      const { wallet, proofs } = await funded(100);
      const { send } = await wallet.send(20, proofs, {}, { send: { type: 'p2pk', options: { pubkey: bobPub, sigFlag } } });
      const token = getEncodedToken({ mint: m.url, proofs: send });
      // Without Bob's key (a wallet signing nothing, or signing with another key) the mint refuses.
      await expect(bob.receive(token)).rejects.toThrow();
      await expect(bob.receive(token, { privkey: bytesToHex(secp256k1.utils.randomSecretKey()) })).rejects.toThrow();
      expect(sum(await bob.receive(token, { privkey: bobKey }))).toBe(20n);
    }
    // Locked to Carol until a time now past, with Alice as refund key: Alice takes it back.
    const aliceKey = bytesToHex(secp256k1.utils.randomSecretKey());
    const alicePub = bytesToHex(secp256k1.getPublicKey(Buffer.from(aliceKey, 'hex'), true));
    const carolPub = bytesToHex(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true));
    const { wallet, proofs } = await funded(100);
    const { send } = await wallet.send(10, proofs, {}, { send: { type: 'p2pk', options: { pubkey: carolPub, locktime: Math.floor(Date.now() / 1000) - 10, refundKeys: [alicePub] } } });
    const alice = await newWallet();
    expect(sum(await alice.receive(getEncodedToken({ mint: m.url, proofs: send }), { privkey: aliceKey }))).toBe(10n);
    await ledgerIsClean();
  });

  it('restores a wallet from its seed (NUT-09)', async () => {
    const bip39seed = randomBytes(64);
    const first = new Wallet(m.url, { bip39seed });
    await first.loadMint();
    const quote = await first.createMintQuoteBolt11(77);
    await m.payFromOutside(quote.request);
    while ((await first.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    const minted = await first.mintProofsBolt11(77, quote.quote, undefined, { type: 'deterministic', counter: 0 });
    const again = new Wallet(m.url, { bip39seed });
    await again.loadMint();
    const { proofs } = await again.restore(0, 20);
    expect(proofs.map((p) => p.secret).sort()).toEqual(minted.map((p) => p.secret).sort());
    expect(sum(proofs)).toBe(77n);
  });

  it('mints a quote locked to a key only with a request signed by it (NUT-20)', async () => {
    const key = bytesToHex(secp256k1.utils.randomSecretKey());
    const pub = bytesToHex(secp256k1.getPublicKey(Buffer.from(key, 'hex'), true));
    const wallet = await newWallet();
    const quote = await wallet.createLockedMintQuote(16, pub);
    expect(quote.pubkey).toBe(pub);
    await m.payFromOutside(quote.request);
    while ((await wallet.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    await expect(wallet.mintProofsBolt11(16, quote.quote)).rejects.toThrow();
    // cashu-ts will not sign with another key; the mint refuses a forged or missing signature itself (20008).
    const keyset = wallet.keyChain.getCheapestKeyset().id;
    const outputs = rawOutputs(keyset, [16]);
    expect((await post(`${m.url}/v1/mint/bolt11`, { quote: quote.quote, outputs })).body.code).toBe(20008);
    expect((await post(`${m.url}/v1/mint/bolt11`, { quote: quote.quote, outputs, signature: 'ab'.repeat(64) })).body.code).toBe(20008);
    expect(sum(await wallet.mintProofsBolt11(16, quote, { privkey: key }))).toBe(16n);
  });

  it('tells a WebSocket subscriber when its quote turns PAID (NUT-17)', async () => {
    const wallet = await newWallet();
    const quote = await wallet.createMintQuoteBolt11(32);
    const paid = wallet.on.onceMintPaid(quote.quote, { timeoutMs: 30_000 });
    await m.payFromOutside(quote.request);
    expect((await paid).state).toBe(MintQuoteState.PAID);
    expect(sum(await wallet.mintProofsBolt11(32, quote.quote))).toBe(32n);
  });
});
