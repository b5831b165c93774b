// The DM bot end to end: users on nostr-tools talk to it over our relay in NIP-04 and NIP-17;
// money moves through the wallet core and the workers on the fake Lightning node.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balance } from '../../core/ledger/ledger.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { fakeRoutingFeeMsat } from '../../workers/lightning/fake.ts';
import { testMasterKey } from '../support/context.ts';
import { startDmService, type DmService, type DmUser, type Scheme } from '../support/dm.ts';
import { root } from '../support/process.ts';

let svc: DmService;
beforeAll(async () => { svc = await startDmService(); });
afterAll(async () => { await svc.close(); });

const accountOf = async (u: DmUser) => (await accounts.forPubkey(svc.wallet.ctx.sql, u.pk)).id;

/** A user whose account holds `sats` (funded through an invoice paid from outside). */
async function funded(scheme: Scheme, sats: number): Promise<DmUser> {
  const u = await svc.user();
  const reply = await u.ask(`invoice ${sats}`, scheme);
  const bolt11 = /(lnbcrt\S+)/.exec(reply)![1]!;
  await svc.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await u.waitFor(/Received/);
  return u;
}

it('funds an account with `invoice` and `flash dev pay`, as a person trying it on regtest would', async () => {
  const u = await svc.user();
  const bolt11 = /(lnbcrt\S+)/.exec(await u.ask('invoice 21k', 'nip17'))![1]!;
  const c = svc.wallet.ctx.config;
  const env = { ...process.env, DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX, MASTER_KEY: testMasterKey };
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin/flash.ts'), 'dev', 'pay', bolt11], { cwd: root, env });
  expect(stdout).toMatch(/^succeeded$/m);
  expect((await u.waitFor(/Received/)).text).toBe('⚡ Received 21,000 sats.');
  expect(await u.ask('balance', 'nip17')).toBe('Balance: 21,000 sats');
});

describe.each(['nip04', 'nip17'] as const)('in %s', (scheme) => {
  it('answers help, balance and nonsense, in the scheme it was spoken to', async () => {
    const u = await svc.user();
    if (scheme === 'nip17') await u.announceDmRelays([svc.relay.url]);
    expect(await u.ask('help', scheme)).toContain('Commands:');
    expect(await u.ask('HELP send', scheme)).toMatch(/^send <amount>/);
    expect(await u.ask('balance', scheme)).toBe('Balance: 0 sats');
    expect(await accounts.findByPubkey(svc.wallet.ctx.sql, u.pk)).toBeDefined();
    expect(await u.ask('balanse', scheme)).toBe('I don\'t know "balanse". Did you mean "balance"? Send "help" for the list of commands.');
  });

  it('funds the account with an invoice paid from outside, and says so in a second DM', async () => {
    const u = await svc.user();
    const reply = await u.ask('invoice 2.5k sats coffee', scheme);
    expect(reply).toMatch(/^Here is your invoice for 2,500 sats \(coffee\):\n\nlnbcrt/);
    const bolt11 = /(lnbcrt\S+)/.exec(reply)![1]!;
    await svc.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
    const notice = await u.waitFor(/Received/);
    expect(notice.text).toBe('⚡ Received 2,500 sats for "coffee".');
    expect(notice.scheme).toBe(scheme);
    expect(await u.ask('bal', scheme)).toBe('Balance: 2,500 sats');
  });

  it('pays an external invoice and replies with the fee and preimage', async () => {
    const u = await funded(scheme, 5000);
    const bolt11 = await svc.wallet.externalInvoice(1_000_000n);
    const reply = await u.ask(`pay ${bolt11}`, scheme);
    const fee = fakeRoutingFeeMsat(1_000_000n);
    expect(reply).toMatch(new RegExp(`^✅ Paid 1,000 sats \\(fee ${fee / 1000n} sats?\\)\\.\\nPreimage: [0-9a-f]{64}$`));
    expect(await balance(svc.wallet.ctx.sql, await accountOf(u))).toBe(5_000_000n - 1_000_000n - fee);
  });

  it('sends to another user at once; both get a DM', async () => {
    const [alice, bob] = [await funded(scheme, 3000), await svc.user()];
    await bob.ask('balance', 'nip04');
    const reply = await alice.ask(`send 1k ${bob.pk} thanks!`, scheme);
    expect(reply).toMatch(/^✅ Sent 1,000 sats to npub1.{7}….{6}\.$/);
    const notice = await bob.waitFor(/sent you/);
    expect(notice.text).toMatch(/^⚡ npub1.{7}….{6} sent you 1,000 sats: "thanks!"\.$/);
    expect(notice.scheme).toBe('nip04');
    expect(await bob.ask('balance', scheme)).toBe('Balance: 1,000 sats');
    expect(await alice.ask('history 2', scheme)).toMatch(/^Your last 2 payment\(s\):\n.* UTC {2}−1,000 sats {2}thanks!\n.* UTC {2}\+3,000 sats$/);
  });

  it('sends to an npub that never used the service: it lands in a new account, and its owner is told how to use it', async () => {
    const alice = await funded(scheme, 1000);
    // A friend with a Nostr client (and, for NIP-17, inbox relays) who never wrote to the bot.
    const friend = await svc.user();
    if (scheme === 'nip17') await friend.announceDmRelays([svc.relay.url]);
    const sql = svc.wallet.ctx.sql;
    expect(await accounts.findByPubkey(sql, friend.pk)).toBeUndefined();
    const to = nip19.npubEncode(friend.pk);
    expect(await alice.ask(`send 100 ${to} lunch`, scheme)).toBe(`✅ Sent 100 sats to ${to.slice(0, 12)}…${to.slice(-6)}.`);
    const from = nip19.npubEncode(alice.pk);
    const notice = await friend.waitFor(/sent you 100 sats/);
    expect(notice.text).toBe(`⚡ ${from.slice(0, 12)}…${from.slice(-6)} sent you 100 sats: "lunch".\n\n`
      + 'Your wallet here is tied to your Nostr key and keeps it for you. Reply "balance" to see it, "help" for every command; "pay <invoice>" sends it on over Lightning.');
    expect(notice.scheme).toBe(scheme);
    expect(await balance(sql, (await accounts.findByPubkey(sql, friend.pk))!.id)).toBe(100_000n);
    expect(await friend.ask('balance', scheme)).toBe('Balance: 100 sats');
    // Now a user of the bot: the next notice is the plain one.
    await alice.ask(`send 50 ${to}`, scheme);
    expect((await friend.waitFor(/sent you 50 sats/)).text).toMatch(/^⚡ npub1.{7}….{6} sent you 50 sats\.$/);
    expect(await alice.ask('balance', scheme)).toBe('Balance: 850 sats');
  });

  it('answers in the language the user picks', async () => {
    const u = await svc.user();
    expect(await u.ask('idioma es', scheme)).toBe('Te responderé en español.');
    expect(await u.ask('saldo', scheme)).toBe('Saldo: 0 sats');
    expect(await u.ask('lang ja', scheme)).toBe('日本語で返信します。');
    expect(await u.ask('残高', scheme)).toBe('残高: 0 sats');
    expect(await u.ask('foo', scheme)).toMatch(/^「foo」は分かりません。/);
    expect(await u.ask('lang en', scheme)).toBe('I will answer in English.');
  });
});
