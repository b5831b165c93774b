// `flash nwc create|list|revoke` as a user runs them: the real executable, its output and exit
// codes; then the whole service (`flash start`) used by an @getalby/sdk app, with money moved
// in and out by `flash dev pay` and `flash dev invoice`, and `flash ledger check` at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NWCClient } from '@getalby/sdk/nwc';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { flashCommand, listensAt, runFlash } from '../support/process.ts';

let db: TestDb;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDb();
  env = {
    DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), MASTER_KEY: '33'.repeat(32), LOG_PRETTY: 'false',
    NOSTR_RELAYS: 'ws://127.0.0.1:7001,wss://relay.example.com', DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
  };
});
afterAll(async () => { await db.drop(); });

const flash = (...args: string[]) => flashCommand(args, env);

describe('flash nwc', () => {
  const user = getPublicKey(generateSecretKey());

  it('creates a connection and prints its URI; the app secret is not kept', async () => {
    const { out, code } = await flash('nwc', 'create', '--user', nip19.npubEncode(user), '--name', 'Damus', '--methods', 'pay_invoice,get_balance,notifications',
      '--budget-sats', '5000', '--renewal', 'weekly', '--expires', '2099-01-01T00:00:00Z', '--isolated', '--lud16', 'alice@pay.example.com');
    expect(code).toBe(0);
    const uri = /nostr\+walletconnect:\/\/\S+/.exec(out)![0];
    const parsed = NWCClient.parseWalletConnectUrl(uri, true);
    expect(parsed).toMatchObject({ relayUrls: ['ws://127.0.0.1:7001', 'wss://relay.example.com'], lud16: 'alice@pay.example.com' });
    expect(out).toContain('budget 5000 sat weekly, expires 2099-01-01T00:00:00.000Z, isolated');
    expect(out).toContain('methods: pay_invoice get_balance notifications');

    const [row] = await db.sql<{ service_pubkey: string; service_secret: string; client_pubkey: string }[]>`select * from nwc_connections`;
    expect(row!.service_pubkey).toBe(parsed.walletPubkey);
    expect(row!.client_pubkey).toBe(getPublicKey(Buffer.from(parsed.secret!, 'hex')));
    expect(row!.service_secret).toMatch(/^v1:/);
    const everything = JSON.stringify(await db.sql`select row_to_json(c)::text as t from nwc_connections c union all select row_to_json(s)::text from secrets s`);
    expect(everything).not.toContain(parsed.secret);
  });

  it('lists and revokes', async () => {
    const listed = await flash('nwc', 'list', '--user', user);
    const id = /^([0-9a-f-]{36})\s+active\s+Damus/m.exec(listed.out)?.[1];
    expect(id).toBeDefined();
    const revoked = await flash('nwc', 'revoke', id!);
    expect(revoked).toMatchObject({ code: 0, out: expect.stringContaining(`revoked ${id} (Damus)`) });
    expect((await flash('nwc', 'list', '--user', user)).out).toMatch(new RegExp(`^${id}\\s+revoked`, 'm'));
    expect((await flash('nwc', 'revoke', '00000000-0000-4000-8000-00000000abcd')).code).not.toBe(0);
  });

  it('refuses bad options with a message', { timeout: 90_000 }, async () => {
    for (const [args, message] of [
      [['--user', user, '--methods', 'pay_invoice,steal'], /unknown method steal/],
      [['--user', user, '--budget-sats', '0'], /at least 1/],
      [['--user', user, '--renewal', 'hourly'], /choose from daily/],
      [['--user', user, '--expires', 'tomorrow'], /ISO 8601/],
      [['--user', user, '--expires', '2001-01-01'], /in the future/],
      [['--user', nip19.nsecEncode(generateSecretKey())], /secret key/],
    ] as const) {
      const r = await flash('nwc', 'create', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.out).toMatch(message);
    }
  });
});

describe('the running service', () => {
  it('serves an app: receive with flash dev pay, pay a flash dev invoice, ledger check clean', { timeout: 90_000 }, async () => {
    // Its bots use its own relay, on whatever port it got; the commands below name that relay.
    Object.assign(env, { RELAY_PORT: '0', API_PORT: '0', NOSTR_RELAYS: '' });
    const service = await runFlash(['start'], env);
    Object.assign(env, { NOSTR_RELAYS: await listensAt(service, 'relay') });
    const client = await (async () => {
      const created = await flash('nwc', 'create', '--user', getPublicKey(generateSecretKey()), '--name', 'e2e', '--json');
      expect(created.code).toBe(0);
      return new NWCClient({ nostrWalletConnectUrl: (JSON.parse(created.out) as { uri: string }).uri });
    })();
    try {
      const received: string[] = [];
      await client.subscribeNotifications((n) => received.push(n.notification_type));
      const inv = await client.makeInvoice({ amount: 100_000, description: 'top up' });
      expect(await flash('dev', 'pay', inv.invoice)).toMatchObject({ code: 0, out: expect.stringContaining('succeeded') });
      await expect.poll(() => client.getBalance(), { timeout: 10_000 }).toEqual({ balance: 100_000 });

      const outside = await flash('dev', 'invoice', '30000');
      const paid = await client.payInvoice({ invoice: outside.out.trim() });
      expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/);
      expect(await client.getBalance()).toEqual({ balance: 100_000 - 30_000 - paid.fees_paid });
      await expect.poll(() => received, { timeout: 10_000 }).toEqual(['payment_received', 'payment_sent']);
    } finally {
      client.close();
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    }
    expect(await flash('ledger', 'check')).toEqual({ code: 0, out: 'ledger is consistent\n' });
  });
});
