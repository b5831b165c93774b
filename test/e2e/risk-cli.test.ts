// The risk commands from the command line, against running workers: levels and limits with
// their 24 h use, freeze/unfreeze, pause/resume, `reserves --json` computed by the workers, and
// the audit log naming the CLI user.
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { createTestContext, testMasterKey, type TestContext } from '../support/context.ts';
import { redisUrl } from '../support/db.ts';
import { flashCommand, runFlash, type FlashProcess } from '../support/process.ts';
import { fund, newKey, newPubkey } from '../support/wallet.ts';

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

it('sets levels and limits, freezes, pauses, reports reserves and audits it all', { timeout: 180_000 }, async () => {
  const pubkey = newPubkey();
  const npub = nip19.npubEncode(pubkey);
  const a = (await accounts.forPubkey(ctx.sql, pubkey)).id;
  const b = (await accounts.forPubkey(ctx.sql, newPubkey())).id;
  await fund(ctx.sql, a, 100_000n);
  await transfer(ctx, { fromAccountId: a, toAccountId: b, amountMsat: 7000n, idempotencyKey: newKey() });

  expect(await flash('account', 'level', npub, '1', '--reason', 'verified')).toMatchObject({ code: 0, out: expect.stringContaining('level 1') });
  const set = await flash('account', 'limits', npub, '--daily', 'internal=50', '--max-payment', '20', '--json');
  expect(set.code).toBe(0);
  const shown = JSON.parse(set.out) as { settings: { level: number }; limits: { maxPaymentMsat: string; daily: Record<string, string> }; usedMsat: Record<string, string> };
  expect(shown).toMatchObject({ settings: { level: 1 }, limits: { maxPaymentMsat: '20000', daily: { 'internal:outgoing': '50000' } }, usedMsat: { 'internal:outgoing': '7000' } });
  expect((await flash('account', 'limits', npub)).out).toMatch(/24 h internal:outgoing\s+used 7 sat of 50 sat/);
  expect((await flash('account', 'level', npub, '12')).code).not.toBe(0);

  expect((await flash('account', 'freeze', a)).code).not.toBe(0); // --reason is required
  expect((await flash('account', 'freeze', a, '--reason', 'review')).code).toBe(0);
  await expect(transfer(ctx, { fromAccountId: a, toAccountId: b, amountMsat: 1000n, idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'account_frozen' });
  expect((await flash('account', 'unfreeze', a)).code).toBe(0);

  expect((await flash('pause', '--reason', 'drill')).out).toContain('outgoing payments paused');
  const reserves = await flash('reserves', '--json');
  expect(reserves.code).toBe(0);
  const report = JSON.parse(reserves.out) as { fresh: boolean; paused: boolean; report: { liabilities: { holdersMsat: string }; deficitMsat: string } };
  expect(report).toMatchObject({ fresh: true, paused: true, report: { liabilities: { holdersMsat: '100000' } } });
  expect(BigInt(report.report.deficitMsat)).toBeLessThan(0n);
  expect((await flash('resume')).out).toContain('outgoing payments resumed');

  const audit = (await flash('audit', '-n', '10')).out.trim().split('\n');
  expect(audit.map((l) => l.replace(/^\S+\s+/, ''))).toEqual([
    `cli:${userInfo().username} (cli)  payments.resume`,
    `cli:${userInfo().username} (cli)  payments.pause  "drill"`,
    `cli:${userInfo().username} (cli)  account.unfreeze ${a}`,
    `cli:${userInfo().username} (cli)  account.freeze ${a}  "review"`,
    `cli:${userInfo().username} (cli)  account.limits ${a}`,
    `cli:${userInfo().username} (cli)  account.level ${a}  "verified"`,
  ]);
});
