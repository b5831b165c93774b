// A frozen account on every entry point with a third-party client: NWC (@getalby/sdk) is
// answered RESTRICTED, even from an isolated sub-wallet; a limit is QUOTA_EXCEEDED with the limit
// in the message; the business API refuses a batch with 403 account_frozen. Receiving goes on.
import { getPublicKey, generateSecretKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusiness } from '../../core/business/business.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { httpAuthHeader } from '../../core/nostr/nip98.ts';
import { freeze, setLimits } from '../../core/risk/accounts.ts';
import { startNwcHarness, type NwcHarness } from '../support/nwc.ts';
import { fund } from '../support/wallet.ts';
import { PUBLIC_ORIGIN, startZapService, type ZapService } from '../support/zaps.ts';

const cli = { who: 'cli:test', via: 'cli' } as const;
const failure = (p: Promise<unknown>) => p.then(() => 'no error', (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`);

describe('wallet connect', () => {
  let h: NwcHarness;
  beforeAll(async () => { h = await startNwcHarness(); }, 60_000);
  afterAll(async () => h?.close());

  it('a frozen owner: RESTRICTED, also through an isolated sub-wallet; invoices still get paid', async () => {
    const app = await h.connect();
    const isolated = await h.connect({ user: app.user, isolated: true });
    await h.fund(app.accountId, 100_000n);
    await h.fund(isolated.accountId, 100_000n);
    await freeze(h.wallet.ctx.sql, cli, app.accountId, 'under review');
    expect(await failure(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(1000n) }))).toMatch(/^RESTRICTED: this account is frozen/);
    expect(await failure(isolated.client.payInvoice({ invoice: await h.wallet.externalInvoice(1000n) }))).toMatch(/^RESTRICTED/);
    const { invoice } = await app.client.makeInvoice({ amount: 2000 });
    await h.wallet.external.payInvoice({ paymentRequest: invoice, maxFeeMsat: 10_000n, timeoutSeconds: 5 });
    await expect.poll(() => balance(h.wallet.ctx.sql, app.accountId)).toBe(102_000n);
  });

  it('a limit: QUOTA_EXCEEDED naming it and what is left', async () => {
    const app = await h.connect();
    await h.fund(app.accountId, 100_000n);
    await setLimits(h.wallet.ctx.sql, cli, app.accountId, { daily: { 'lightning:outgoing': 5000n } }, null);
    await app.client.payInvoice({ invoice: await h.wallet.externalInvoice(3000n) });
    expect(await failure(app.client.payInvoice({ invoice: await h.wallet.externalInvoice(3000n) })))
      .toMatch(/^QUOTA_EXCEEDED: over the 24-hour lightning limit of 5 sat: 2 sat left, more from /);
  });
});

describe('business API', () => {
  let svc: ZapService;
  beforeAll(async () => { svc = await startZapService(); }, 60_000);
  afterAll(async () => svc?.close());

  it('refuses a frozen business\'s batch with 403 account_frozen', async () => {
    const key = generateSecretKey();
    const { accountId } = await createBusiness(svc.wallet.ctx, { pubkey: getPublicKey(key), name: 'Shop' });
    await fund(svc.wallet.ctx.sql, accountId, 1_000_000n);
    const to = (await accounts.forPubkey(svc.wallet.ctx.sql, getPublicKey(generateSecretKey()))).pubkey!;
    const body = JSON.stringify({ idempotencyKey: 'b1', amountMsat: '1000', recipients: [to] });
    const post = () => svc.fetch(`${PUBLIC_ORIGIN}/api/v1/zaps`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', authorization: httpAuthHeader(key, { url: `${PUBLIC_ORIGIN}/api/v1/zaps`, method: 'POST', body }) },
    });
    await freeze(svc.wallet.ctx.sql, cli, accountId, 'chargebacks');
    const res = await post();
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'account_frozen', reason: 'this account is frozen and cannot send (chargebacks)' });
  });
});
