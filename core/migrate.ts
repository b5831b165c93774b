// Numbered SQL migrations applied in order, each in its own transaction, under an advisory
// lock so that two processes starting at once apply each file exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';
import { connect, ensureDatabase, type Sql } from './db.ts';

export const migrationsDir = path.resolve(import.meta.dirname, '..', 'migrations');
const LOCK_ID = 7_361_829_104; // arbitrary, fixed: the migration lock

export interface Migration { id: number; name: string; sql: string }

export function readMigrations(dir = migrationsDir): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const migrations = files.map((f) => ({ id: Number(f.slice(0, 4)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }));
  migrations.forEach((m, i) => {
    if (i > 0 && m.id === migrations[i - 1]!.id) throw new Error(`two migrations numbered ${m.id}: ${migrations[i - 1]!.name}, ${m.name}`);
  });
  return migrations;
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(sql: Sql, migrations = readMigrations()): Promise<string[]> {
  // A session lock on one reserved connection; it is released by unlock or by the
  // connection closing if this process dies mid-way.
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK_ID})`;
    await conn`create table if not exists schema_migrations (
      id int primary key, name text not null, applied_at timestamptz not null default now())`;
    const done = new Set((await conn<{ id: number }[]>`select id from schema_migrations`).map((r) => r.id));
    const applied: string[] = [];
    for (const m of migrations.filter((m) => !done.has(m.id))) {
      try {
        await conn`begin`;
        await conn.unsafe(m.sql);
        await conn`insert into schema_migrations (id, name) values (${m.id}, ${m.name})`;
        await conn`commit`;
      } catch (err) {
        await conn`rollback`;
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await conn`select pg_advisory_unlock(${LOCK_ID})`.catch(() => {});
    conn.release();
  }
}

/** Tables whose rows are never changed or removed: the runtime role may only read and add. */
const APPEND_ONLY = ['journals', 'postings'];

/**
 * What the runtime role may do once an owner role migrated the schema: read and write rows,
 * never change structure (so it cannot drop or disable the append-only triggers, which takes
 * ownership). Journals and postings: read and insert only; accounts: no delete; the migration
 * record: read only. Run after every migration, so new tables are covered.
 */
export async function grantRuntime(owner: Sql, role: string): Promise<void> {
  const r = owner(role);
  await owner`grant usage on schema public to ${r}`;
  await owner`grant select, insert, update, delete on all tables in schema public to ${r}`;
  await owner`grant usage, select on all sequences in schema public to ${r}`;
  await owner`revoke insert, update, delete on schema_migrations from ${r}`;
  await owner`revoke update, delete on ${owner(APPEND_ONLY)} from ${r}`;
  await owner`revoke delete on accounts from ${r}`;
}

/** The role name in a PostgreSQL URL (`postgres://role:password@host/db`). */
export const roleOf = (url: string): string => decodeURIComponent(new URL(url).username) || 'postgres';

/**
 * Creates the database if missing and applies pending migrations, as DATABASE_MIGRATION_URL's
 * (owner) role when set — then grants DATABASE_URL's role what it needs — else as DATABASE_URL's.
 */
export async function prepareDatabase(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_MIGRATION_URL'>): Promise<string[]> {
  const ownerUrl = config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL;
  await ensureDatabase(ownerUrl);
  const sql = connect(ownerUrl, { max: 1 });
  try {
    const applied = await migrate(sql);
    if (config.DATABASE_MIGRATION_URL) {
      const runtime = roleOf(config.DATABASE_URL);
      if (runtime === roleOf(ownerUrl)) throw new Error('DATABASE_MIGRATION_URL must name another role than DATABASE_URL');
      await grantRuntime(sql, runtime);
    }
    return applied;
  } finally {
    await sql.end();
  }
}
