import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../core/db.ts';
import { migrate, readMigrations, type Migration } from '../../core/migrate.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
afterEach(async () => db?.drop());

const fake = (n: number, sql: string): Migration => ({ id: n, name: `${String(n).padStart(4, '0')}_m.sql`, sql });

describe('migrations', () => {
  it('apply every file once, and a second run is a no-op', async () => {
    db = await createTestDb({ empty: true });
    const all = readMigrations();
    expect(await migrate(db.sql)).toEqual(all.map((m) => m.name));
    expect(await migrate(db.sql)).toEqual([]);
    const rows = await db.sql`select id from schema_migrations order by id`;
    expect(rows.map((r) => r.id)).toEqual(all.map((m) => m.id));
  });

  it('are safe when two processes start at once', async () => {
    db = await createTestDb({ empty: true });
    // Not idempotent on purpose: applying it twice would fail.
    const ms = [fake(1, 'create table a (x int)'), fake(2, 'insert into a values (1)'), fake(3, 'select pg_sleep(0.2)')];
    const other = connect(db.url, { max: 2 });
    const [first, second] = await Promise.all([migrate(db.sql, ms), migrate(other, ms)]);
    await other.end();
    expect([...first, ...second].sort()).toEqual(ms.map((m) => m.name));
    expect(await db.sql`select count(*)::int as n from a`).toEqual([{ n: 1 }]);
  });

  it('roll a failing file back whole and keep the ones before it', async () => {
    db = await createTestDb({ empty: true });
    const ms = [fake(1, 'create table a (x int)'), fake(2, 'create table b (y int); select 1/0')];
    await expect(migrate(db.sql, ms)).rejects.toThrow(/0002_m.sql failed: division by zero/);
    expect((await db.sql`select id from schema_migrations`).map((r) => r.id)).toEqual([1]);
    expect(await db.sql`select to_regclass('b') as b`).toEqual([{ b: null }]);
  });
});
