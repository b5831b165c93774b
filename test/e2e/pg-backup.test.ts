// Backups: continuous WAL archiving on our own PostgreSQL cluster, `flash backup` (a verified
// pg_basebackup), payments before and after it, and a restore to a point in time between
// later payments: exactly the payments committed by then, and a clean ledger.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext, type Context } from '../../core/context.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { transfer } from '../../core/payments/transfer.ts';
import { connect } from '../../core/db.ts';
import { testMasterKey } from '../support/context.ts';
import { redisUrl, uniqueName } from '../support/db.ts';
import { PgCluster, serverDir } from '../support/pg-cluster.ts';
import { flashCommand } from '../support/process.ts';
import { fund, newPubkey } from '../support/wallet.ts';

let archive: string;
let backups: string;
let primary: PgCluster;
let restored: PgCluster | undefined;
let env: Record<string, string>;
let ctx: Context;
beforeAll(async () => {
  archive = serverDir('wal');
  backups = serverDir('backups');
  primary = await PgCluster.primary({ archiveDir: archive });
  env = { DATABASE_URL: primary.url('flash'), REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), MASTER_KEY: testMasterKey };
  expect(await flashCommand(['migrate'], env)).toMatchObject({ code: 0 });
  ctx = await createContext(parseConfig(env), { log: createLogger({ level: 'silent', pretty: false }), migrate: false });
}, 60_000);
afterAll(async () => {
  if (ctx) await closeContext(ctx);
  await restored?.remove();
  await primary?.remove();
  for (const d of [archive, backups]) if (d) rmSync(d, { recursive: true, force: true });
});

it('restores a base backup and the archived WAL to a moment between two payments', { timeout: 120_000 }, async () => {
  const [alice, bob] = [(await accounts.forPubkey(ctx.sql, newPubkey())).id, (await accounts.forPubkey(ctx.sql, newPubkey())).id];
  await fund(ctx.sql, alice, 1_000_000n);
  const pay = async (keys: string[]) => { for (const k of keys) await transfer(ctx, { fromAccountId: alice, toAccountId: bob, amountMsat: 1000n, idempotencyKey: k }); };
  await pay(['before-1', 'before-2']);

  const taken = await flashCommand(['backup', backups], env);
  expect(taken.code).toBe(0);
  const backupDir = /in (\S+) \(verified/.exec(taken.out)![1]!;

  await pay(['after-1', 'after-2', 'after-3']);
  const [{ t }] = await ctx.sql<[{ t: Date }]>`select clock_timestamp() as t`;
  await new Promise((r) => setTimeout(r, 50));
  await pay(['late-1']);
  // The WAL holding the late payment must be archived too, or recovery cannot see past the target.
  const [{ segment }] = await ctx.sql<[{ segment: string }]>`select pg_walfile_name(pg_switch_wal()) as segment`;
  await expect.poll(async () => (await ctx.sql<[{ w: string | null }]>`select last_archived_wal as w from pg_stat_archiver`)[0].w! >= segment, { timeout: 20_000 }).toBe(true);

  restored = await PgCluster.restore(backupDir, archive, { time: t });
  const sql = connect(restored.url('flash'), { max: 1 });
  try {
    await expect.poll(async () => (await sql<[{ r: boolean }]>`select pg_is_in_recovery() as r`)[0].r, { timeout: 30_000 }).toBe(false);
    const keys = (await sql<{ k: string }[]>`select idempotency_key as k from transactions where account_id = ${alice} order by k`).map((r) => r.k);
    expect(keys).toEqual(['after-1', 'after-2', 'after-3', 'before-1', 'before-2']);
    expect(await balance(sql, alice)).toBe(1_000_000n - 5n * 1000n);
    expect(await balance(sql, bob)).toBe(5n * 1000n);
    expect(await flashCommand(['ledger', 'check'], { ...env, DATABASE_URL: restored.url('flash') })).toMatchObject({ code: 0 });
  } finally {
    await sql.end();
  }
});
