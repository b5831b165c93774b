// The wallet-connect service under test: our relay, a wallet with workers on the fake node, and
// the NWC bot serving through a relay pool — all in this process, over real sockets. Apps are
// @getalby/sdk NWCClients made from the URIs the service hands out.
import { hexToBytes } from '@noble/hashes/utils.js';
import { finalizeEvent, type VerifiedEvent } from 'nostr-tools/pure';
import { NWCClient } from '@getalby/sdk/nwc';
import { createLogger } from '../../core/log.ts';
import { localBotKey } from '../../core/nostr/bot-key.ts';
import { generateSecretKey, getPublicKey, keyPair } from '../../core/nostr/keys.ts';
import { RelayPool } from '../../core/nostr/pool.ts';
import { startNwcService } from '../../bots/nwc/bot.ts';
import { createConnection, type CreateConnectionOptions } from '../../bots/nwc/connections.ts';
import { decrypt, encrypt, kinds, peer, stringifyJson } from '../../bots/nwc/nip47.ts';
import type { NwcService } from '../../bots/nwc/service.ts';
import { startTestRelay, WireClient, type TestRelay } from './relay.ts';
import { fund, startTestWallet, type TestWallet } from './wallet.ts';

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
    const pool = new RelayPool({ relays: urls, signer: key.signer, log, outbound: wallet.ctx.outbound });
    const running = await startNwcService({ ctx: wallet.ctx, key: localBotKey(key), pool, relays: urls, lease: { fence: 1, signal: new AbortController().signal }, log });
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
      await fund(wallet.ctx.sql, accountId, amountMsat);
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

/**
 * An app that speaks NIP-47 by hand over a bare socket, for what honest clients never send
 * (no encryption tag, bad content, repeats, expired requests) and for reading raw answers.
 */
export class RawApp {
  readonly secret: Uint8Array;
  readonly pubkey: string;
  readonly walletPubkey: string;
  readonly #sockets: WireClient[];

  private constructor(uri: string, sockets: WireClient[]) {
    const o = NWCClient.parseWalletConnectUrl(uri, true);
    this.secret = hexToBytes(o.secret!);
    this.pubkey = getPublicKey(this.secret);
    this.walletPubkey = o.walletPubkey;
    this.#sockets = sockets;
  }

  /** Opens one socket per relay URL (the first one is where answers are read). */
  static async open(uri: string, relayUrls: string[]): Promise<RawApp> {
    return new RawApp(uri, await Promise.all(relayUrls.map((u) => WireClient.open(u))));
  }

  /** A signed request: `body` is JSON-encoded unless a string; encryption `null` leaves the tag out. */
  request(body: unknown, o: { encryption?: string | null; tags?: string[][]; createdAt?: number; content?: string; p?: string } = {}): VerifiedEvent {
    const encryption = o.encryption === undefined ? 'nip44_v2' : o.encryption;
    const text = typeof body === 'string' ? body : stringifyJson(body);
    const p = peer(this.secret, this.walletPubkey);
    const content = o.content ?? encrypt(encryption === 'nip44_v2' ? 'nip44_v2' : 'nip04', p, text);
    const tags = [['p', o.p ?? this.walletPubkey], ...(encryption === null ? [] : [['encryption', encryption]]), ...(o.tags ?? [])];
    return finalizeEvent({ kind: kinds.request, created_at: o.createdAt ?? Math.floor(Date.now() / 1000), tags, content }, this.secret);
  }

  /** Publishes on the socket of relay `i` (default all), waiting for each OK. */
  async send(event: VerifiedEvent, relays: number[] = this.#sockets.map((_, i) => i)): Promise<void> {
    for (const i of relays) {
      const [ok, message] = await this.#sockets[i]!.publish(event);
      if (!ok) throw new Error(`relay refused the request: ${message}`);
    }
  }

  /** Every answer to `requestId` on the first relay so far (after waiting for `count` of them). */
  async answers(requestId: string, count = 1, timeoutMs = 10_000): Promise<Array<{ event: VerifiedEvent; body: Record<string, unknown> }>> {
    const c = this.#sockets[0]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const subId = `a${Math.random().toString(36).slice(2, 10)}`;
      const { events } = await c.query(subId, { kinds: [kinds.response], '#e': [requestId] });
      c.send(['CLOSE', subId]);
      if (events.length >= count || Date.now() > deadline) {
        return events.map((event) => {
          const scheme = event.content.includes('?iv=') ? 'nip04' : 'nip44_v2';
          return { event, body: JSON.parse(decrypt(scheme, peer(this.secret, this.walletPubkey), event.content)) as Record<string, unknown> };
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a request and returns the body of its (first) answer. */
  async call(body: unknown, o: Parameters<RawApp['request']>[1] = {}): Promise<Record<string, unknown>> {
    const e = this.request(body, o);
    await this.send(e, [0]);
    const [a] = await this.answers(e.id);
    if (!a) throw new Error(`no answer to ${JSON.stringify(body).slice(0, 80)}`);
    return a.body;
  }

  close(): void {
    for (const s of this.#sockets) s.close();
  }
}
