// Flash Cards under test: the DM service (relay, wallet on the fake node, bots role) plus the
// HTTP API on a real port under the public origin https://flash.test, and a point of sale that
// reads a simulated card (test/sims/boltcard) and talks LNURL-withdraw to the API as one would.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { routeModules } from '../../api/role.ts';
import { buildApi } from '../../api/server.ts';
import { lnurlwToHttp, type SimulatedCard } from '../sims/boltcard/card.ts';
import { startDmService, type DmService } from './dm.ts';

export const PUBLIC_ORIGIN = 'https://flash.test';

export interface CardService extends DmService {
  app: FastifyInstance;
  apiUrl: string;
  /** GET on the public origin, sent to the API port; JSON body and status. */
  get(url: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startCardService(env: Record<string, string> = {}): Promise<CardService> {
  const svc = await startDmService({ PUBLIC_URL: PUBLIC_ORIGIN, ...env });
  const app = await buildApi(svc.wallet.ctx, routeModules);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const close = svc.close;
  return Object.assign(svc, {
    app, apiUrl,
    async get(url: string) {
      const res = await fetch(url.startsWith(PUBLIC_ORIGIN) ? apiUrl + url.slice(PUBLIC_ORIGIN.length) : url);
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    },
    async close() {
      await app.close();
      await close();
    },
  });
}

/** A point of sale: reads the card (a tap), asks for the withdraw request, then hands it an invoice. */
export async function tapCard(svc: CardService, card: SimulatedCard) {
  return svc.get(lnurlwToHttp(card.tap()));
}

export async function submitInvoice(svc: CardService, withdrawRequest: Record<string, unknown>, pr: string) {
  const url = new URL(String(withdrawRequest.callback));
  url.searchParams.set('k1', String(withdrawRequest.k1));
  url.searchParams.set('pr', pr);
  return svc.get(url.toString());
}
