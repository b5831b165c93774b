// The DM bot's eCash: `ecash <amount>` answers a token of our mint paid from the balance, and a
// token pasted into a DM is redeemed into the sender's balance, once.
import { getDecodedToken, getEncodedToken } from '@cashu/cashu-ts';
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
beforeAll(async () => {
  svc = await startDmService();
  mint = await startWorkers(svc.wallet.ctx, [mintWorkers()]);
});
afterAll(async () => {
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
  expect(await bob.ask(getEncodedToken({ mint: 'https://other.example', proofs: decoded.proofs }), 'nip04')).toMatch(/another mint/);
  expect(await alice.ask('ecash 1.5', 'nip04')).toMatch(/whole sats/);
  expect(await alice.ask('ecash 100000', 'nip04')).toMatch(/enough/i);
  expect(await check(svc.wallet.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
});
