// DATABASE_MIGRATION_URL: an owner role migrates; the runtime role (DATABASE_URL) works with
// rows but cannot change structure, so the ledger's append-only triggers stay on.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext, type Context } from '../../core/context.ts';
import { connect } from '../../core/db.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { testMasterKey } from '../support/context.ts';
import { adminUrl, createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { fund, newPubkey } from '../support/wallet.ts';

const tag = randomBytes(4).toString('hex');
const roles = { owner: `flash_owner_${tag}`, app: `flash_app_${tag}` };
const passwords = { owner: randomBytes(12).toString('hex'), app: randomBytes(12).toString('hex') };
const admin = connect(adminUrl(), { max: 1 });
let db: TestDb;
let ctx: Context;

const urlAs = (who: 'owner' | 'app') => {
  const u = new URL(db.url);
  u.username = roles[who];
  u.password = passwords[who];
  return u.toString();
};

beforeAll(async () => {
  await admin.unsafe(`create role "${roles.owner}" login password '${passwords.owner}'`);
  await admin.unsafe(`create role "${roles.app}" login password '${passwords.app}'`);
  db = await createTestDb({ empty: true });
  await admin.unsafe(`alter database "${db.name}" owner to "${roles.owner}"`);
  const config = parseConfig({
    DATABASE_URL: urlAs('app'), DATABASE_MIGRATION_URL: urlAs('owner'), REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'),
    MASTER_KEY: testMasterKey, METRICS_PORT: '0',
  });
  ctx = await createContext(config, { log: createLogger({ level: 'silent', pretty: false }) });
});

afterAll(async () => {
  if (ctx) await closeContext(ctx);
  await db?.drop();
  await admin.unsafe(`drop role if exists "${roles.app}"`);
  await admin.unsafe(`drop role if exists "${roles.owner}"`);
  await admin.end();
});

describe('separate migration and runtime roles', () => {
  it('migrates as the owner: the tables belong to it, not to the runtime role', async () => {
    const [row] = await db.sql<{ owner: string }[]>`select tableowner as owner from pg_tables where tablename = 'journals'`;
    expect(row!.owner).toBe(roles.owner);
  });

  it('lets the runtime role do its work: accounts, ledger postings, balances', async () => {
    const account = await accounts.forPubkey(ctx.sql, newPubkey());
    await fund(ctx.sql, account.id, 5000n);
    expect(await balance(ctx.sql, account.id)).toBe(5000n);
  });

  it('does not let the runtime role disable or drop the append-only triggers, nor delete ledger rows', async () => {
    const sql = ctx.sql;
    await expect(sql`alter table journals disable trigger journals_append_only`).rejects.toThrow(/must be owner/);
    await expect(sql`alter table postings disable trigger all`).rejects.toThrow(/must be owner/);
    await expect(sql`drop trigger postings_append_only on postings`).rejects.toThrow(/must be owner/);
    await expect(sql`drop function ledger_append_only() cascade`).rejects.toThrow(/must be owner/);
    await expect(sql`delete from postings`).rejects.toThrow(/permission denied/);
    await expect(sql`truncate journals cascade`).rejects.toThrow(/permission denied/);
    await expect(sql`update schema_migrations set name = 'x'`).rejects.toThrow(/permission denied/);
    await expect(sql`create table sneaky (id int)`).rejects.toThrow(/permission denied/);
  });
});
