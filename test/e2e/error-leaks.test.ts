// Internal error text (the node's, its database's) stays in the logs: anonymous LNURL callers
// and wallet-connect apps get a stable code and a safe message.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeModules } from '../../api/role.ts';
import { buildApi } from '../../api/server.ts';
import { generateSecretKey, getPublicKey } from '../../core/nostr/keys.ts';
import { startNwcHarness, type NwcHarness } from '../support/nwc.ts';

// What a node or PostgreSQL might say about itself: hosts, paths, relation names.
const SECRET_TEXT = 'connection to 10.1.2.3:10009 refused: relation "fake_ln_invoices" at /var/lib/lnd/data';

let h: NwcHarness;
let app: FastifyInstance;
let apiUrl: string;
beforeAll(async () => {
  h = await startNwcHarness();
  app = await buildApi(h.wallet.ctx, routeModules);
  await app.listen({ host: '127.0.0.1', port: 0 });
  apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await h?.close();
});

describe('while the node fails with an internal error', () => {
  beforeAll(() => { h.wallet.node.faults.internalError = SECRET_TEXT; });
  afterAll(() => { delete h.wallet.node.faults.internalError; });

  it('an LNURL callback answers a LUD-06 error without the node\'s text', async () => {
    const npub = nip19.npubEncode(getPublicKey(generateSecretKey()));
    const res = await fetch(`${apiUrl}/lnurlp/${npub}/callback?amount=5000`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toEqual({ status: 'ERROR', reason: expect.stringMatching(/Lightning node/) });
    expect(text).not.toContain('10.1.2.3');
    expect(text).not.toContain('fake_ln_invoices');
  });

  it('an NWC make_invoice answers INTERNAL without the node\'s text', async () => {
    const nwc = await h.connect({ scopes: ['make_invoice'] });
    const err = await nwc.client.makeInvoice({ amount: 21_000, description: 'coffee' }).then(() => undefined, (e: { code?: string; message?: string }) => e);
    expect(err?.code).toBe('INTERNAL');
    expect(err?.message).toMatch(/Lightning node/);
    expect(err?.message).not.toContain('10.1.2.3');
    expect(err?.message).not.toContain('fake_ln_invoices');
  });
});

it('an NWC pay_invoice the node refuses answers PAYMENT_FAILED with the reason, not the node\'s text', async () => {
  const nwc = await h.connect();
  await h.fund(nwc.accountId, 1_000_000n);
  h.wallet.node.faults.refuseSends = `lnd: ${SECRET_TEXT}`;
  try {
    const err = await nwc.client.payInvoice({ invoice: await h.wallet.externalInvoice(10_000n) }).then(() => undefined, (e: { code?: string; message?: string }) => e);
    expect(err?.code).toBe('PAYMENT_FAILED');
    expect(err?.message).toMatch(/invalid_request/);
    expect(err?.message).not.toContain('10.1.2.3');
  } finally {
    delete h.wallet.node.faults.refuseSends;
  }
});
