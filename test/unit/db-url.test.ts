import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { databaseName, isDatabaseUrl, withDatabase } from '../../core/db-url.ts';

const multi = 'postgres://flash:pw@10.0.0.1:5432,10.0.0.2:5433/flash?target_session_attrs=read-write';

describe('database URLs', () => {
  it('takes several hosts, as postgres.js does, and keeps them when naming another database', () => {
    expect(isDatabaseUrl(multi)).toBe(true);
    expect(databaseName(multi)).toBe('flash');
    expect(withDatabase(multi, 'postgres')).toBe('postgres://flash:pw@10.0.0.1:5432,10.0.0.2:5433/postgres?target_session_attrs=read-write');
    expect(parseConfig({ DATABASE_URL: multi }).DATABASE_URL).toBe(multi);
  });

  it('refuses what is not a PostgreSQL URL', () => {
    for (const bad of ['http://h/db', 'postgres:///db', 'postgres://h1:5432,/db', 'postgres://h:port/db']) expect(isDatabaseUrl(bad)).toBe(false);
    expect(() => parseConfig({ DATABASE_URL: 'redis://h:6379' })).toThrow(/DATABASE_URL/);
  });
});
