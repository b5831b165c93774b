// The zap service under test: a wallet (workers on the fake node), the HTTP API with the
// lightning-address routes on a real port, and the zapper (receipts, zaps queue) publishing
// through a relay pool. `fetch` maps the public https://flash.test origin to that port.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { RelayPool } from '../../core/nostr/pool.ts';
import { routeModules } from '../../api/role.ts';
import { buildApi } from '../../api/server.ts';
import { startZapper, type Zapper } from '../../bots/zaps/bot.ts';
import { ownZapRelays, zapperKey } from '../../core/addresses/addresses.ts';
import { startTestWallet, type TestWallet } from './wallet.ts';

export const PUBLIC_ORIGIN = 'https://flash.test';

export interface ZapService {
  wallet: TestWallet;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  apiUrl: string;
  pool: RelayPool;
  zapper: Zapper;
  /** A fetch that sends https://flash.test/… to the API port (third-party clients use it). */
  fetch: typeof fetch;
  close(): Promise<void>;
}

export async function startZapService(env: Record<string, string> = {}): Promise<ZapService> {
  const wallet = await startTestWallet({ PUBLIC_URL: PUBLIC_ORIGIN, ...env });
  const ctx = wallet.ctx;
  const app = await buildApi(ctx, routeModules);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const key = await zapperKey(ctx);
  const log = ctx.log.child({ bot: 'zapper' });
  const pool = new RelayPool({ relays: ownZapRelays(ctx.config), signer: key.signer, log, outbound: ctx.outbound, backoff: { minMs: 50, maxMs: 500 }, publishAttempts: 1, connectTimeoutMs: 2000, publishTimeoutMs: 2000 });
  const zapper = await startZapper(ctx, { key, log, pool });
  const realFetch = globalThis.fetch;
  const mapped: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return realFetch(url.startsWith(PUBLIC_ORIGIN) ? apiUrl + url.slice(PUBLIC_ORIGIN.length) : url, init);
  };
  return {
    wallet, app, apiUrl, pool, zapper, fetch: mapped,
    async close() {
      await zapper.stop();
      pool.close();
      await app.close();
      await wallet.close();
    },
  };
}
