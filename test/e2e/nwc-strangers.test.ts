// A request to a connection's service key from any key but its client's is answered
// UNAUTHORIZED and writes nothing: strangers cannot grow the database.
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NWCClient } from '@getalby/sdk/nwc';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNwcHarness, type NwcHarness } from '../support/nwc.ts';

let h: NwcHarness;
beforeAll(async () => { h = await startNwcHarness(); }, 60_000);
afterAll(async () => { await h?.close(); });

it('answers a stranger UNAUTHORIZED without recording the request', async () => {
  const app = await h.connect();
  const secret = bytesToHex(randomBytes(32));
  const stranger = new NWCClient({ nostrWalletConnectUrl: app.uri.replace(/secret=[0-9a-f]+/, `secret=${secret}`) });
  try {
    const code = await stranger.getBalance().then(() => 'no error', (err: { code?: string }) => err.code);
    expect(code).toBe('UNAUTHORIZED');
  } finally {
    stranger.close();
  }
  expect(await app.client.getBalance()).toEqual({ balance: 0 });
  const rows = await h.wallet.ctx.sql<{ author: string }[]>`select author from nwc_requests where connection_id = ${app.connectionId}`;
  expect(rows.map((r) => r.author)).toEqual([app.client.publicKey]);
});
