// The DM bot's commands backed by the other services: `send` to lightning addresses (a local
// LNURL stand-in), NIP-05 names and npubs' profile lud16; `zap`; `username`; and wallet
// connections (`connect`, `connections`, `revoke`), checked with @getalby/sdk as the app.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NWCClient } from '@getalby/sdk/nwc';
import { Metadata } from 'nostr-tools/kinds';
import * as nip19 from 'nostr-tools/nip19';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import type { CreateInvoiceRequest } from '../../workers/lightning/port.ts';
import { startLnurlSim, type LnurlSim } from '../sims/lnurl/server.ts';
import { startDmService, type DmService, type DmUser, type Scheme } from '../support/dm.ts';

let svc: DmService;
let lnurl: LnurlSim;
let nip05: http.Server;
/** NIP-05 names served by friends.test. */
const names: Record<string, string> = {};

beforeAll(async () => {
  // The stand-in's invoices come from the outside fake node, which exists once the wallet does.
  const outside: { node?: DmService['wallet']['external'] } = {};
  lnurl = await startLnurlSim({ node: { createInvoice: (req: CreateInvoiceRequest) => outside.node!.createInvoice(req) }, users: { carol: {}, erin: {} }, minSendableMsat: 5000n });
  nip05 = http.createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').searchParams.get('name') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ names: names[name] ? { [name]: names[name] } : {} }));
  });
  await new Promise<void>((resolve) => nip05.listen(0, '127.0.0.1', resolve));
  const friends = `http://127.0.0.1:${(nip05.address() as AddressInfo).port}`;
  svc = await startDmService({ PUBLIC_URL: 'https://flash.test', LNURL_DEV_HOSTS: `shop.test=${lnurl.url},friends.test=${friends}` });
  outside.node = svc.wallet.external;
});
afterAll(async () => {
  await svc.close();
  await lnurl.close();
  await new Promise((resolve) => nip05.close(resolve));
});

const sql = () => svc.wallet.ctx.sql;
const balanceOf = async (pubkey: string) => balance(sql(), (await accounts.forPubkey(sql(), pubkey)).id);

async function funded(sats: number, scheme: Scheme): Promise<DmUser> {
  const u = await svc.user();
  const bolt11 = /(lnbcrt\S+)/.exec(await u.ask(`invoice ${sats}`, scheme))![1]!;
  await svc.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await u.waitFor(/Received/);
  return u;
}

/** Publishes a kind-0 profile for a new key, as its owner would. */
async function profileWith(content: Record<string, string>): Promise<string> {
  const sk = generateSecretKey();
  const relay = await Relay.connect(svc.relay.url);
  await relay.publish(finalizeEvent({ kind: Metadata, created_at: Math.floor(Date.now() / 1000), tags: [], content: JSON.stringify(content) }, sk));
  relay.close();
  return getPublicKey(sk);
}

describe.each(['nip04', 'nip17'] as const)('in %s', (scheme) => {
  it('sends to a lightning address elsewhere through LNURL-pay, with the memo as comment', async () => {
    const u = await funded(5000, scheme);
    const before = lnurl.issued.length;
    expect(await u.ask('send 1000 carol@shop.test for the cake', scheme)).toBe('✅ Sent 1,000 sats to carol@shop.test (fee 2 sats).');
    expect(lnurl.issued.slice(before)).toMatchObject([{ name: 'carol', amountMsat: 1_000_000n, comment: 'for the cake' }]);
    expect(await balanceOf(u.pk)).toBe(5_000_000n - 1_002_000n);
    expect(await u.ask('send 1 sat carol@shop.test', scheme)).toBe('carol@shop.test accepts from 5 sats to 100,000,000 sats.');
    expect(await u.ask('send 10 nobody@shop.test', scheme)).toBe('Nobody answers for nobody@shop.test: it is neither a Nostr address (NIP-05) nor a lightning address I can reach.');
    lnurl.users.erin = { mode: 'wrong_amount' };
    expect(await u.ask('send 10 erin@shop.test', scheme)).toBe('erin@shop.test did not give me a valid invoice. Nothing was sent.');
    expect(await balanceOf(u.pk)).toBe(5_000_000n - 1_002_000n);
  });

  it('sends to an npub without an account through the lud16 of its profile', async () => {
    const u = await funded(3000, scheme);
    const frank = await profileWith({ name: 'frank', lud16: 'carol@shop.test' });
    const before = lnurl.issued.length;
    expect(await u.ask(`send 500 ${nip19.npubEncode(frank)}`, scheme)).toMatch(/^✅ Sent 500 sats to npub1.{7}….{6} \(fee 1\.5 sats\)\.$/);
    expect(lnurl.issued.slice(before)).toMatchObject([{ name: 'carol', amountMsat: 500_000n }]);
    expect(await accounts.findByPubkey(sql(), frank)).toBeUndefined();
  });

  it('sends to a NIP-05 name whose key has an account here as an internal transfer, and to our usernames', async () => {
    const [alice, dave] = [await funded(3000, scheme), await svc.user()];
    const handle = `dave${scheme}`;
    names[handle] = dave.pk;
    await dave.ask('balance', 'nip04');
    expect(await alice.ask(`send 100 ${handle}@friends.test`, scheme)).toBe(`✅ Sent 100 sats to ${handle}@friends.test.`);
    await dave.waitFor(/sent you 100 sats/);

    expect(await dave.ask(`username ${handle}`, scheme)).toBe(`Your username is now ${handle}: pay you at ${handle}@flash.test.`);
    expect(await alice.ask(`username ${handle}`, scheme)).toBe(`The username ${handle} is taken. Try another.`);
    expect(await alice.ask('username admin', scheme)).toBe('The username admin is reserved. Try another.');
    expect(await alice.ask('username a', scheme)).toBe('A username has 3 to 32 characters: letters, digits, and . _ - inside.');
    expect(await alice.ask(`send 200 ${handle}@flash.test`, scheme)).toBe(`✅ Sent 200 sats to ${handle}@flash.test.`);
    await dave.waitFor(/sent you 200 sats/);
    expect(await balanceOf(dave.pk)).toBe(300_000n);
    expect(await alice.ask(`send 5 nobody-${scheme}@flash.test`, scheme)).toMatch(/^Nobody answers for nobody-/);
  });

  it('zaps a user of this service', async () => {
    const [alice, bob] = [await funded(2000, scheme), await svc.user()];
    await bob.ask('balance', 'nip04');
    expect(await alice.ask(`zap ${nip19.npubEncode(bob.pk)} 21 great`, scheme)).toMatch(/^⚡ Zapped 21 sats to npub1.{7}….{6}\.$/);
    expect(await balanceOf(bob.pk)).toBe(21_000n);
    // Anonymous (no signing key handed over): the notice does not name alice.
    expect((await bob.waitFor(/sent you 21 sats/)).text).toBe('⚡ Someone sent you 21 sats: "great".');
    expect(await alice.ask(`zap ${nip19.noteEncode('ab'.repeat(32))} 21`, scheme)).toMatch(/^I could not find note1.{7}….{6} on the relays/);
  });

  it('links an app with a budget, lists and revokes it; the URI works in @getalby/sdk', async () => {
    const u = await funded(1000, scheme);
    const created = await u.ask('connect Damus 10k weekly', scheme);
    expect(created).toMatch(/^Linked "Damus" with a budget of 10,000 sats per week\. Paste this secret into the app and keep it private:\n\nnostr\+walletconnect:\/\//);
    const client = new NWCClient({ nostrWalletConnectUrl: /(nostr\+walletconnect:\S+)/.exec(created)![1]! });
    try {
      const balanceWithin = (ms: number) => Promise.race([client.getBalance().then((b) => b.balance), new Promise<number>((resolve) => setTimeout(() => resolve(-1), ms))]);
      await expect.poll(() => balanceWithin(2000), { timeout: 15_000 }).toBe(1_000_000);
    } finally {
      client.close();
    }
    expect(await u.ask('connect', scheme)).toMatch(/^Linked "Wallet connection" with no budget limit\./);
    const list = await u.ask('apps', scheme);
    expect(list).toMatch(/^Linked apps:\n• Wallet connection \(id [0-9a-f]{8}\): 0 sats spent, no limit\n• Damus \(id [0-9a-f]{8}\): 0 sats of 10,000 sats per week\nUnlink with: revoke <id>$/);
    const damusId = /• Damus \(id ([0-9a-f]{8})\)/.exec(list)![1]!;
    expect(await u.ask('revoke zzzz', scheme)).toBe('You have no linked app with id zzzz. See: connections');
    expect(await u.ask(`revoke ${damusId}`, scheme)).toBe(`Unlinked ${damusId}; it can no longer spend.`);
    expect(await u.ask(`revoke ${damusId}`, scheme)).toBe(`You have no linked app with id ${damusId}. See: connections`);
    expect(await u.ask('connections', scheme)).not.toContain('Damus');
  });
});
