// The wallet-connect service under test: our relay, a wallet with workers on the fake node, and
// the NWC bot serving through a relay pool — all in this process, over real sockets. Apps are
// @getalby/sdk NWCClients made from the URIs the service hands out.
import { randomUUID } from 'node:crypto';
import { NWCClient } from '@getalby/sdk/nwc';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { generateSecretKey, getPublicKey, keyPair } from '../../core/nostr/keys.ts';
import { RelayPool } from '../../core/nostr/pool.ts';
import { startNwcService } from '../../bots/nwc/bot.ts';
import { createConnection, type CreateConnectionOptions } from '../../bots/nwc/connections.ts';
import type { NwcService } from '../../bots/nwc/service.ts';
import { startTestRelay, type TestRelay } from './relay.ts';
import { startTestWallet, type TestWallet } from './wallet.ts';

export interface NwcHarness {
  relays: TestRelay[];
  wallet: TestWallet;
  service: NwcService;
  /** A connection for `user` (a new user when absent) and an NWCClient on its URI. */
  connect(opts?: Partial<CreateConnectionOptions> & { encryption?: 'nip04' | 'nip44_v2' }): Promise<App>;
  /** Pays `amountMsat` into an account from the operator's funds. */
  fund(accountId: string, amountMsat: bigint): Promise<void>;
  /** Stops the service (as a crash or step-down would) and starts a new instance. */
  restartService(): Promise<void>;
  close(): Promise<void>;
}

export interface App {
  client: NWCClient;
  uri: string;
  connectionId: string;
  user: string;
  /** The connection's wallet account (the user's, or its isolated sub-wallet). */
  accountId: string;
}

export async function startNwcHarness(opts: { relays?: number; env?: Record<string, string> } = {}): Promise<NwcHarness> {
  const relays = await Promise.all(Array.from({ length: opts.relays ?? 1 }, () => startTestRelay()));
  const urls = relays.map((r) => r.url);
  const wallet = await startTestWallet({ NOSTR_RELAYS: urls.join(','), ...opts.env });
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  const key = keyPair(generateSecretKey());
  const clients: NWCClient[] = [];
  const start = async () => {
    const pool = new RelayPool({ relays: urls, signer: key.signer, log });
    const running = await startNwcService({ ctx: wallet.ctx, key, pool, relays: urls, lease: { fence: 1, signal: new AbortController().signal }, log });
    return { ...running, pool };
  };
  let running = await start();
  return {
    relays, wallet,
    get service() { return running.service; },
    async connect(o = {}) {
      const user = o.user ?? getPublicKey(generateSecretKey());
      const { connection, uri } = await createConnection(wallet.ctx, { ...o, user });
      await expectSubscribed(() => running.service, connection.servicePubkey);
      const client = new NWCClient({ nostrWalletConnectUrl: uri });
      // The client picks NIP-44 whenever the info event offers it; this makes it speak NIP-04.
      if (o.encryption) Object.assign(client, { _encryptionType: o.encryption });
      clients.push(client);
      return { client, uri, connectionId: connection.id, user, accountId: connection.walletAccountId };
    },
    async fund(accountId, amountMsat) {
      await post(wallet.ctx.sql, { idempotencyKey: randomUUID(), kind: 'test.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -amountMsat }, { accountId, amountMsat }] });
    },
    async restartService() {
      await running.stop();
      running.pool.close();
      running = await start();
    },
    async close() {
      for (const c of clients) c.close();
      await running.stop();
      running.pool.close();
      await wallet.close();
      for (const r of relays) await r.close();
    },
  };
}

/** Waits until the service has loaded the connection (it hears of it by NOTIFY). */
async function expectSubscribed(service: () => NwcService, servicePubkey: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!service().connection(servicePubkey)) {
    if (Date.now() > deadline) throw new Error('the service did not load the new connection');
    await new Promise((r) => setTimeout(r, 10));
  }
}
