import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { listensAt, runFlash } from '../support/process.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb({ empty: true }); });
afterAll(async () => db.drop());

describe('flash start', () => {
  it('migrates, serves health and metrics on Node 24, and stops cleanly on SIGTERM', async () => {
    const env = {
      DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'),
      API_PORT: '0', RELAY_PORT: '0', METRICS_PORT: '0',
      DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    };
    const flash = await runFlash(['start'], env);
    expect(flash.output()).toMatch(/flash is ready \(Node v2[4-9]\./);
    const base = await listensAt(flash, 'HTTP API');
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);

    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', payments: 'running' });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const metrics = await listensAt(flash, 'metrics');
    expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);
    expect(await (await fetch(metrics)).text()).toContain('flash_http_requests_total');
    expect((await db.sql`select count(*)::int as n from schema_migrations`)[0]!.n).toBeGreaterThan(0);

    flash.child.kill('SIGTERM');
    expect(await flash.exited).toBe(0);
    expect(flash.output()).toContain('"msg":"stopped"');

    // A second start reuses the database and the generated master key.
    const again = await runFlash(['start', 'api'], env);
    expect(again.output()).not.toContain('migrations applied');
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('refuses an unknown role with a clear message', async () => {
    const flash = runFlash(['start', 'teleporter'], { DATABASE_URL: db.url });
    await expect(flash).rejects.toThrow(/unknown role teleporter; choose from all/);
  });

  it('explains configuration errors and exits 2', async () => {
    await expect(runFlash(['config'], { API_PORT: 'x' })).rejects.toThrow(/exited with 2[\s\S]*API_PORT/);
  });
});
