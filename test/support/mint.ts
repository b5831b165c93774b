// A mint under test: a service context, the workers (Lightning on our fake node, the mint),
// the API with the mint's routes on a free loopback port, and the "outside" fake node.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { mintRoutes, MINT_PATH } from '../../api/mint/routes.ts';
import { buildApi } from '../../api/server.ts';
import { blindMessage, pointHex } from '../../core/mint/nut00.ts';
import type { RunningRole } from '../../core/role.ts';
import { EXTERNAL_FAKE_NODE, OUR_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { lightningWorkers } from '../../workers/lightning/module.ts';
import { mintWorkers } from '../../workers/mint/module.ts';
import { startWorkers } from '../../workers/role.ts';
import { createTestContext, type TestContext } from './context.ts';

export interface TestMint {
  ctx: TestContext;
  node: FakeLightningNode;
  external: FakeLightningNode;
  workers: RunningRole;
  api: FastifyInstance;
  url: string;
  /** The outside node pays an invoice (as a wallet user paying a mint quote). */
  payFromOutside(request: string): Promise<void>;
  externalInvoice(amountMsat: bigint): Promise<string>;
  close(): Promise<void>;
}

export async function startTestMint(env: Record<string, string> = {}): Promise<TestMint> {
  const ctx = await createTestContext({ API_RATE_LIMIT: '100000', ...env });
  const node = await FakeLightningNode.open(ctx, OUR_FAKE_NODE);
  const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
  const workers = await startWorkers(ctx, [lightningWorkers(node), mintWorkers()]);
  const api = await buildApi(ctx, [mintRoutes]);
  await api.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}${MINT_PATH}`;
  ctx.config.publicUrl = url.slice(0, -MINT_PATH.length);
  return {
    ctx, node, external, workers, api, url,
    async payFromOutside(request) {
      const r = await external.payInvoice({ paymentRequest: request, maxFeeMsat: 100_000n, timeoutSeconds: 30 });
      if (r.status !== 'succeeded') throw new Error(`outside payment ${r.status}`);
    },
    async externalInvoice(amountMsat) {
      return (await external.createInvoice({ amountMsat, description: 'outside', expirySeconds: 600 })).paymentRequest;
    },
    async close() {
      await api.close();
      await workers.stop();
      await external.close();
      await ctx.close();
    },
  };
}

/** Outputs blinded by hand (for requests cashu-ts would never send): B_ of random secrets. */
export function rawOutputs(keysetId: string, amounts: number[]): Array<{ amount: number; id: string; B_: string }> {
  return amounts.map((amount) => {
    const secret = randomBytes(32);
    const r = BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n;
    return { amount, id: keysetId, B_: pointHex(blindMessage(new Uint8Array(Buffer.from(secret.toString('hex'))), r)) };
  });
}

/** POSTs JSON to the mint; answers status and body. */
export async function post(url: string, body: unknown): Promise<{ status: number; body: { code?: number; detail?: string } & Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() as { code?: number } };
}
