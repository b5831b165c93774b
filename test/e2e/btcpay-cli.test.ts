// `flash business btcpay-connection` as an operator runs it: the real executable, its output
// (the string a store pastes) and exit codes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { flashCommand } from '../support/process.ts';

let db: TestDb;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDb();
  env = {
    DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), MASTER_KEY: '33'.repeat(32), LOG_PRETTY: 'false',
    NOSTR_RELAYS: 'ws://127.0.0.1:7001', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
  };
});
afterAll(async () => { await db.drop(); });

const flash = (...args: string[]) => flashCommand(args, env);

describe('flash business btcpay-connection', () => {
  it("prints a connection string on the business's account with the methods a store needs", { timeout: 60_000 }, async () => {
    const npub = nip19.npubEncode(getPublicKey(generateSecretKey()));
    expect((await flash('business', 'btcpay-connection', npub)).code).toBe(2); // not a business yet
    expect((await flash('business', 'create', npub, '--name', 'Coffee shop')).code).toBe(0);
    const { code, out } = await flash('business', 'btcpay-connection', npub, '--budget-sats', '5000');
    expect(code).toBe(0);
    expect(out).toMatch(/^type=nwc;key=nostr\+walletconnect:\/\/[0-9a-f]{64}\?relay=ws%3A%2F%2F127\.0\.0\.1%3A7001&secret=[0-9a-f]{64}$/m);
    const [row] = await db.sql<{ scopes: string[]; budget_msat: bigint; same: boolean; kind: string }[]>`
      select c.scopes, c.budget_msat, c.account_id = c.wallet_account_id as same, a.kind
      from nwc_connections c join accounts a on a.id = c.wallet_account_id`;
    expect(row).toEqual({ scopes: ['get_info', 'make_invoice', 'lookup_invoice', 'list_transactions', 'pay_invoice', 'get_balance', 'notifications'], budget_msat: 5_000_000n, same: true, kind: 'business' });
  });
});
