// A full service context on an isolated database and Redis prefix, for integration tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../core/config.ts';
import { closeContext, createContext, type Context } from '../../core/context.ts';
import { createLogger } from '../../core/log.ts';
import { createTestDb, redisUrl, uniqueName, type TestDb } from './db.ts';

export interface TestContext extends Context { db: TestDb; close(): Promise<void> }

export const testMasterKey = '11'.repeat(32);

export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const db = await createTestDb();
  const config: Config = parseConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: uniqueName('t'),
    MASTER_KEY: testMasterKey,
    API_PORT: '0',
    RELAY_PORT: '0',
    METRICS_PORT: '0',
    // Local state of its own (the embedded on-chain node's chain file, cookie and RPC URL).
    DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    // Test relays and servers listen on loopback: allowed as outbound targets unless a test says otherwise.
    OUTBOUND_ALLOW: '127.0.0.0/8,::1',
    ...env,
  });
  const ctx = await createContext(config, { log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false }), migrate: false });
  return { ...ctx, db, close: async () => { await closeContext(ctx); await db.drop(); } };
}
