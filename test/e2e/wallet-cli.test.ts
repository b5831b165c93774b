// The wallet from the command line, against running workers: an outside payer pays our
// invoice (`flash dev pay`), we pay an outside invoice (`flash dev invoice`), and the
// operator's views (`flash account show`, `flash ledger check`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { flashCommand, runFlash, type FlashProcess } from '../support/process.ts';
import { newPubkey } from '../support/wallet.ts';

let ctx: TestContext;
let workers: FlashProcess;
let env: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  env = {
    DATABASE_URL: ctx.db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: ctx.config.REDIS_PREFIX, MASTER_KEY: testMasterKey, LOG_PRETTY: 'false',
    API_PORT: '0', RELAY_PORT: '0', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
  };
  workers = await runFlash(['start', 'workers'], env);
});
afterAll(async () => {
  workers.child.kill('SIGTERM');
  await workers.exited;
  await ctx.close();
});

const flash = (...args: string[]) => flashCommand(args, env);

it('receives with flash dev pay, pays a flash dev invoice, and shows and checks the ledger', { timeout: 180_000 }, async () => {
  const pubkey = newPubkey();
  const account = (await accounts.forPubkey(ctx.sql, pubkey)).id;
  const inv = await createInvoice(ctx, { accountId: account, amountMsat: 30_000n, description: 'top up', idempotencyKey: 'cli-1' });

  const paying = await flash('dev', 'pay', inv.paymentRequest!);
  expect(paying).toMatchObject({ code: 0, out: expect.stringContaining('succeeded') });
  // The payer's wake-up to our node goes out before it exits, not into a closed pool.
  expect(paying.out).not.toContain('notify failed');
  await expect.poll(() => balance(ctx.sql, account)).toBe(30_000n);
  expect((await flash('dev', 'pay', inv.paymentRequest!)).code).toBe(0);
  expect(await balance(ctx.sql, account)).toBe(30_000n);

  const out = await flash('dev', 'invoice', '12000', '-d', 'pizza');
  expect(out.code).toBe(0);
  const bolt11 = out.out.trim();
  expect(bolt11).toMatch(/^lnbcrt120n1/);
  const paid = await payInvoice(ctx, { accountId: account, paymentRequest: bolt11, idempotencyKey: 'cli-2', waitMs: 10_000 });
  expect(paid).toMatchObject({ status: 'succeeded', feeMsat: fakeRoutingFeeMsat(12_000n) });

  const shown = await flash('account', 'show', nip19.npubEncode(pubkey));
  expect(shown.code).toBe(0);
  expect(shown.out).toContain(`balance ${(30_000n - 12_000n - fakeRoutingFeeMsat(12_000n)) / 1000n}.`);
  expect(shown.out).toMatch(/lightning\s+succeeded\s+\+30 sat\s+top up/);
  expect(shown.out).toMatch(/lightning\s+succeeded\s+-12 sat \(fee 1\.012 sat\)\s+pizza/);
  expect((await flash('account', 'show', newPubkey())).code).toBe(1);
  expect((await flash('dev', 'invoice', 'lots')).out).toContain('expected a whole number of millisatoshi');
  expect(await flash('dev', 'pay', 'lnbcrt1nonsense')).toMatchObject({ code: 1, out: expect.stringContaining('invalid') });

  expect(await flash('ledger', 'check')).toMatchObject({ code: 0, out: expect.stringContaining('ledger is consistent') });
  await ctx.sql`update accounts set balance_msat = balance_msat + 1 where id = ${account}`;
  expect(await flash('ledger', 'check')).toMatchObject({ code: 1, out: expect.stringContaining('VIOLATION holder balance equals the sum of its postings') });
});
