// The DM bot's eCash: `ecash <amount>` answers a token of our mint paid from the balance, and a
// token pasted into a DM is redeemed into the sender's balance, once.
import { getDecodedToken, getEncodedToken, MintQuoteState, Wallet } from '@cashu/cashu-ts';
import type { FastifyInstance } from 'fastify';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { Relay } from 'nostr-tools/relay';
import { mintRoutes, MINT_PATH } from '../../api/mint/routes.ts';
import { buildApi } from '../../api/server.ts';
import { NUTZAP_KIND } from '../../core/mint/nutzap.ts';
import { freePort } from '../support/process.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { mintRules } from '../../core/mint/check.ts';
import { mintKeys } from '../../core/mint/keys.ts';
import { paymentRules } from '../../core/payments/check.ts';
import type { RunningRole } from '../../core/role.ts';
import { mintWorkers } from '../../workers/mint/module.ts';
import { startWorkers } from '../../workers/role.ts';
import { startDmService, type DmService, type DmUser } from '../support/dm.ts';

let svc: DmService;
let mint: RunningRole;
let api: FastifyInstance;
let mintUrl: string;
beforeAll(async () => {
  const port = await freePort();
  svc = await startDmService({ PUBLIC_URL: `http://127.0.0.1:${port}`, API_RATE_LIMIT: '100000' });
  mint = await startWorkers(svc.wallet.ctx, [mintWorkers()]);
  api = await buildApi(svc.wallet.ctx, [mintRoutes]);
  await api.listen({ host: '127.0.0.1', port });
  mintUrl = `http://127.0.0.1:${port}${MINT_PATH}`;
});
afterAll(async () => {
  await api?.close();
  await mint?.stop();
  await svc?.close();
});

const balanceOf = async (u: DmUser) => balance(svc.wallet.ctx.sql, (await accounts.forPubkey(svc.wallet.ctx.sql, u.pk)).id);

it('makes a token from the balance and redeems a pasted one once', { timeout: 60_000 }, async () => {
  const alice = await svc.user();
  const bolt11 = /(lnbcrt\S+)/.exec(await alice.ask('invoice 500', 'nip04'))![1]!;
  await svc.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await alice.waitFor(/Received/);

  const reply = await alice.ask('ecash 120', 'nip04');
  const token = /(cashuB\S+)/.exec(reply)![1]!;
  expect(await balanceOf(alice)).toBe(380_000n);

  const bob = await svc.user();
  expect(await bob.ask(`thanks! ${token}`, 'nip17')).toMatch(/Redeemed: 120 sats/);
  expect(await balanceOf(bob)).toBe(120_000n);
  expect(await bob.ask(token, 'nip04')).toMatch(/spent already/);
  expect(await balanceOf(bob)).toBe(120_000n);

  const decoded = getDecodedToken(token, [...(await mintKeys(svc.wallet.ctx)).byId.keys()]);
  svc.wallet.ctx.config.MINT_FOREIGN_DENY = ['https://other.example'];
  expect(await bob.ask(getEncodedToken({ mint: 'https://other.example', proofs: decoded.proofs }), 'nip04')).toMatch(/not taken here/);
  expect(await alice.ask('ecash 1.5', 'nip04')).toMatch(/whole sats/);
  expect(await alice.ask('ecash 100000', 'nip04')).toMatch(/enough/i);
  expect(await check(svc.wallet.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
});

it('gives a nutzap key and redeems nutzaps published to the relay into the balance', { timeout: 60_000 }, async () => {
  const bob = await svc.user();
  const reply = await bob.ask('nutzap', 'nip04');
  const key = /(02[0-9a-f]{64})/.exec(reply)![1]!;
  expect(reply).toContain(`["mint","${mintUrl}","sat"]`);

  const wallet = new Wallet(mintUrl);
  await wallet.loadMint();
  const quote = await wallet.createMintQuoteBolt11(50);
  await svc.wallet.external.payInvoice({ paymentRequest: quote.request, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await expect.poll(async () => (await wallet.checkMintQuoteBolt11(quote.quote)).state).toBe(MintQuoteState.PAID);
  const { send } = await wallet.send(21, await wallet.mintProofsBolt11(50, quote.quote), {}, { send: { type: 'p2pk', options: { pubkey: key } } });
  const event = finalizeEvent({
    kind: NUTZAP_KIND, created_at: Math.floor(Date.now() / 1000), content: 'nice',
    tags: [...send.map((p) => ['proof', JSON.stringify({ amount: Number(p.amount), id: p.id, secret: p.secret, C: p.C })]), ['u', mintUrl], ['p', bob.pk]],
  }, generateSecretKey());
  const relay = await Relay.connect(svc.relay.url);
  await relay.publish(event);
  relay.close();
  await expect.poll(() => balanceOf(bob), { timeout: 20_000 }).toBe(21_000n);
  expect(await check(svc.wallet.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
});
