// `flash business btcpay-connection`, `btcpay link` and `rewards set` as an operator runs them:
// the real executable, its output and exit codes (link against the Greenfield stand-in).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { flashCommand } from '../support/process.ts';
import { storePermissions } from '../support/btcpay.ts';
import { BtcpaySim } from '../sims/btcpay/server.ts';

let db: TestDb;
let env: Record<string, string>;
let sim: BtcpaySim;
beforeAll(async () => {
  db = await createTestDb();
  sim = await BtcpaySim.start();
  env = {
    PUBLIC_URL: 'https://pay.example.com',
    DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), MASTER_KEY: '33'.repeat(32), LOG_PRETTY: 'false',
    NOSTR_RELAYS: 'ws://127.0.0.1:7001', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
  };
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

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

describe('flash business btcpay link / rewards set', () => {
  const npub = nip19.npubEncode(getPublicKey(generateSecretKey()));

  it('links a store with a sufficient key and refuses one without, naming what it lacks', { timeout: 60_000 }, async () => {
    expect((await flash('business', 'create', npub, '--name', 'Tea house')).code).toBe(0);
    const storeId = sim.createStore('Tea house');
    const weak = await flash('business', 'btcpay', 'link', npub, '--url', sim.url, '--store', storeId, '--api-key', sim.createApiKey([`btcpay.store.canviewinvoices:${storeId}`]));
    expect(weak).toMatchObject({ code: 2, out: expect.stringContaining('lacks btcpay.store.webhooks.canmodifywebhooks') });
    const { code, out } = await flash('business', 'btcpay', 'link', npub, '--url', sim.url, '--store', storeId, '--api-key', sim.createApiKey(storePermissions(storeId)));
    expect(code).toBe(0);
    const [link] = await db.sql<{ id: string; webhook_id: string }[]>`select id, webhook_id from btcpay_links`;
    expect(out).toContain(`https://pay.example.com/btcpay/webhooks/${link!.id}`);
    expect(sim.webhooks.get(link!.webhook_id)!.url).toBe(`https://pay.example.com/btcpay/webhooks/${link!.id}`);
    expect(sim.problems).toEqual([]);
  });

  it('sets the reward rule and refuses a bad one', { timeout: 60_000 }, async () => {
    expect(await flash('business', 'rewards', 'set', npub, '--percent', '2.5', '--max-sats', '1000')).toMatchObject({ code: 0, out: expect.stringContaining('2.5 % of each settled invoice, at most 1000 sats') });
    expect((await flash('business', 'rewards', 'set', npub, '--percent', '0', '--max-sats', '1000')).code).toBe(2);
    expect(await db.sql`select basis_points, max_msat from btcpay_reward_rules`).toEqual([{ basis_points: 250, max_msat: 1_000_000n }]);
  });
});
