// Numbered SQL migrations applied in order, each in its own transaction, under an advisory
// lock so that two processes starting at once apply each file exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from './db.ts';

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
