// A business with a linked BTCPay store, all in this process over real sockets: the wallet with
// its workers on the fake node, the btcpay workers, the API (webhook route), the Greenfield
// stand-in, an LNURL server for buyers' lightning addresses elsewhere (shop.test), and the bots
// role (the DM bot's notices) on a relay of its own.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/server.ts';
import { botsRole } from '../../bots/role.ts';
import { loadBotKey } from '../../core/nostr/keys.ts';
import type { RunningRole } from '../../core/role.ts';
import { btcpayRoutes } from '../../api/btcpay/routes.ts';
import { createBusiness, type Business } from '../../core/business/business.ts';
import type { Link } from '../../core/btcpay/links.ts';
import type { RunningRail } from '../../workers/module.ts';
import { startBtcpayWorkers } from '../../workers/btcpay/module.ts';
import { greenfield, type Greenfield } from '../../workers/btcpay/greenfield.ts';
import { linkStore, requiredPermissions } from '../../workers/btcpay/link.ts';
import { BtcpaySim } from '../sims/btcpay/server.ts';
import { startLnurlSim, type LnurlSim } from '../sims/lnurl/server.ts';
import { DmUser } from './dm.ts';
import { MiniRelay } from './mini-relay.ts';
import { startTestRelay, type TestRelay } from './relay.ts';
import { fund, newPubkey, startTestWallet, type TestWallet } from './wallet.ts';

export interface BtcpayHarness {
  wallet: TestWallet;
  sim: BtcpaySim;
  lnurl: LnurlSim;
  api: FastifyInstance;
  business: Business;
  storeId: string;
  /** The store's own Greenfield client (what its POS or owner does). */
  owner: Greenfield;
  link: Link;
  /** A Nostr user talking to the DM bot (who receives its notices). */
  dmUser(): Promise<DmUser>;
  close(): Promise<void>;
}

export const storePermissions = (storeId: string) => Object.keys(requiredPermissions).map((p) => `${p}:${storeId}`);

export async function startBtcpayHarness(env: Record<string, string> = {}): Promise<BtcpayHarness> {
  const relay = await MiniRelay.start();
  const late: { wallet?: TestWallet } = {};
  const lnurl = await startLnurlSim({ node: { createInvoice: (r) => late.wallet!.external.createInvoice(r) }, users: { alice: {} } });
  const nostr: TestRelay = await startTestRelay();
  const wallet = await startTestWallet({
    ZAP_RELAYS: relay.url, NOSTR_RELAYS: nostr.url, LNURL_DEV_HOSTS: `shop.test=${lnurl.url}`, BTCPAY_PAYOUT_INTERVAL_SECONDS: '3600', ...env,
  });
  late.wallet = wallet;
  const { ctx } = wallet;
  const api = await buildApi(ctx, [btcpayRoutes]);
  await api.listen({ host: '127.0.0.1', port: 0 });
  ctx.config.publicUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const workers: RunningRail = await startBtcpayWorkers(ctx, ctx.log);
  const bots: RunningRole = await botsRole(ctx);
  const dmBot = (await loadBotKey(ctx.secrets, 'dm')).pubkey;
  const users: DmUser[] = [];

  const sim = await BtcpaySim.start();
  const storeId = sim.createStore('Coffee shop');
  const apiKey = sim.createApiKey(storePermissions(storeId));
  const owner = greenfield(sim.url, sim.createApiKey(['unrestricted'], 'owner'), 5000);
  const business = await createBusiness(ctx, { pubkey: newPubkey(), name: 'Coffee shop' });
  await fund(ctx.sql, business.accountId, 100_000_000n);
  const link = await linkStore(ctx, { businessAccountId: business.accountId, url: sim.url, storeId, apiKey });
  return {
    wallet, sim, lnurl, api, business, storeId, owner, link,
    async dmUser() {
      const u = await DmUser.open(nostr.url, dmBot);
      users.push(u);
      return u;
    },
    async close() {
      for (const u of users) u.close();
      await bots.stop();
      await workers.stop();
      await sim.close();
      await api.close();
      await wallet.close();
      await lnurl.close();
      await relay.stop();
      await nostr.close();
    },
  };
}

/** Polls `read` until `test` holds (the workers act on their own time); returns its last value. */
export async function until<T>(read: () => Promise<T>, test: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (test(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
