// Per-test-file isolation: a database cloned from the run's migrated template, a Redis prefix.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type Sql } from '../../core/db.ts';

const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flash';

/** A run id starts with its start time (base 36 ms), so stale runs can be recognised. */
export const newRunId = () => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
export const templateName = (run: string) => `flash_tpl_${run}`;
export function runAgeMs(dbName: string): number {
  const stamp = /^flash_(?:t|tpl)_([0-9a-z]{8})/.exec(dbName)?.[1];
  return stamp ? Date.now() - parseInt(stamp, 36) : Infinity;
}

export function urlFor(name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export const adminUrl = () => urlFor('postgres');
export const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** A name no other test uses; it carries the run id, so the run's Redis keys are removed after it. */
export const uniqueName = (tag: string) => `${tag}_${inject('testRun')}_${randomBytes(5).toString('hex')}`;

export interface TestDb { name: string; url: string; sql: Sql; drop(): Promise<void> }

/** A fresh, migrated database of its own; `empty` skips the template (for migration tests). */
export async function createTestDb(opts: { empty?: boolean } = {}): Promise<TestDb> {
  const run = inject('testRun');
  const name = `flash_t_${run}_${randomBytes(4).toString('hex')}`;
  const admin = connect(adminUrl(), { max: 1 });
  await admin.unsafe(`create database "${name}"${opts.empty ? '' : ` template "${templateName(run)}"`}`);
  await admin.end();
  const url = urlFor(name);
  const sql = connect(url, { max: 10 });
  return {
    name, url, sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = connect(adminUrl(), { max: 1 });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}
