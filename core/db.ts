// PostgreSQL through `postgres` (porsager): one pool per process, bigint for int8.
import postgres from 'postgres';
import { databaseName, withDatabase } from './db-url.ts';

export type Sql = postgres.Sql<{ bigint: bigint }>;
export type Tx = postgres.TransactionSql<{ bigint: bigint }>;

export function connect(url: string, opts: { max?: number } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    types: {
      // int8 as bigint: every millisatoshi amount and counter round-trips exactly.
      bigint: { to: 20, from: [20], serialize: (v: bigint) => v.toString(), parse: (v: string) => BigInt(v) },
    },
  }) as unknown as Sql;
}

/** Creates the database named in `url` if it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name ${JSON.stringify(name)}`);
  const sql = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!row) {
      // Two starters may race here; the loser's duplicate error is harmless.
      await sql.unsafe(`create database "${name}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await sql.end();
  }
}

/** True when `err` is PostgreSQL's unique violation (23505), of `constraint` when one is named. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint_name?: string } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint_name === constraint);
}
