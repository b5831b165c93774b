// SSRF through the DM bot: a user's kind 10050 names where the bot delivers NIP-17 replies.
// An address the outbound policy refuses (loopback here, with no OUTBOUND_ALLOW) gets no
// connection; the user's other, configured relay still gets the reply.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDmService, type DmService } from '../support/dm.ts';

let svc: DmService;
beforeAll(async () => { svc = await startDmService({ OUTBOUND_ALLOW: '' }); });
afterAll(async () => { await svc.close(); });

it('opens no connection to a loopback relay listed in a kind 10050', async () => {
  let connections = 0;
  const probe = createServer((socket) => { connections++; socket.destroy(); });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  try {
    const u = await svc.user();
    await u.announceDmRelays([`ws://127.0.0.1:${(probe.address() as AddressInfo).port}`, svc.relay.url]);
    expect(await u.ask('balance', 'nip17')).toMatch(/0 sats/);
    expect(connections).toBe(0);
  } finally {
    probe.close();
  }
});
