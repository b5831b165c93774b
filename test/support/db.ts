// Per-test-file isolation: a database cloned from the migrated template, a Redis key prefix.
import { randomBytes } from 'node:crypto';
import { connect, type Sql } from '../../core/db.ts';

export const TEMPLATE_DB = 'flash_test_template';
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flash';

export function urlFor(name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export const adminUrl = () => urlFor('postgres');
export const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const uniqueName = (tag: string) => `${tag}_${randomBytes(5).toString('hex')}`;

export interface TestDb { name: string; url: string; sql: Sql; drop(): Promise<void> }

/** A fresh, migrated database of its own; `empty` skips the template (for migration tests). */
export async function createTestDb(opts: { empty?: boolean } = {}): Promise<TestDb> {
  const name = uniqueName('flash_t');
  const admin = connect(adminUrl(), { max: 1 });
  await admin.unsafe(`create database "${name}"${opts.empty ? '' : ` template "${TEMPLATE_DB}"`}`);
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
