// The DM bot's safety: confirmations, each DM acted on once (two relays, re-wrapped, after a
// restart), forged NIP-17 seals, rate limits, bad and undecryptable input, payments in flight.
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { EncryptedDirectMessage } from 'nostr-tools/kinds';
import * as nip19 from 'nostr-tools/nip19';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import type { Network } from '../../core/lightning/types.ts';
import { reconcile } from '../../workers/lightning/reconcile.ts';
import { forgedGiftWrap } from '../support/nostr.ts';
import { restartBots, startDmService, type DmService, type DmUser, type Scheme } from '../support/dm.ts';

const BURST = 20;
let svc: DmService;
beforeAll(async () => {
  svc = await startDmService({ DM_CONFIRM_ABOVE_MSAT: '5000000', DM_RATE_BURST: String(BURST), DM_RATE_PER_MINUTE: '0.1', DM_PAY_WAIT_MS: '300', PAYMENT_TIMEOUT_SECONDS: '1' }, 2);
});
afterAll(async () => { await svc.close(); });

const sql = () => svc.wallet.ctx.sql;
const balanceOf = async (u: DmUser) => balance(sql(), (await accounts.forPubkey(sql(), u.pk)).id);

async function funded(sats: number, scheme: Scheme = 'nip04'): Promise<DmUser> {
  const u = await svc.user();
  const bolt11 = /(lnbcrt\S+)/.exec(await u.ask(`invoice ${sats}`, scheme))![1]!;
  await svc.wallet.external.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 10 });
  await u.waitFor(/Received/);
  return u;
}

/** A user with an account but no money, and their npub. */
async function payee(): Promise<{ u: DmUser; npub: string }> {
  const u = await svc.user();
  await u.ask('balance', 'nip04');
  return { u, npub: nip19.npubEncode(u.pk) };
}

function foreignInvoice(opts: { network?: Network; amountMsat?: bigint; createdAt?: Date; expirySeconds?: number } = {}): string {
  return encodeBolt11({
    privateKey: secp256k1.utils.randomSecretKey(), network: opts.network ?? 'regtest', paymentHash: bytesToHex(randomBytes(32)),
    paymentSecret: bytesToHex(randomBytes(32)), amountMsat: 'amountMsat' in opts ? opts.amountMsat : 1_000_000n, description: 'x', createdAt: opts.createdAt ?? new Date(),
    expirySeconds: opts.expirySeconds ?? 600, cltvDelta: 40,
  });
}

describe.each(['nip04', 'nip17'] as const)('confirmation in %s', (scheme) => {
  it('asks before a large send, pays on yes, once even for two yes, and drops it on no or after expiry', async () => {
    const alice = await funded(20_000, scheme);
    const bob = await payee();
    expect(await alice.ask(`send 6k ${bob.npub}`, scheme)).toMatch(/^Send 6,000 sats to npub1.{7}….{6}\? Reply yes or no\.$/);
    expect(await balanceOf(alice)).toBe(20_000_000n);
    // Two "yes" at once: one pays, the other finds nothing waiting.
    const [yes1, yes2] = [alice.dm('yes', scheme), alice.dm('sí', scheme)];
    await Promise.all([alice.relay.publish(yes1.event), alice.relay.publish(yes2.event)]);
    const answers = [(await alice.replyTo(yes1.id)).text, (await alice.replyTo(yes2.id)).text];
    expect(answers.filter((a) => /^✅ Sent 6,000 sats to npub1/.test(a))).toHaveLength(1);
    expect(answers).toContain('There is nothing waiting for your confirmation.');
    await bob.u.waitFor(/sent you 6,000 sats/);
    expect(await balanceOf(alice)).toBe(14_000_000n);
    expect(await balanceOf(bob.u)).toBe(6_000_000n);

    expect(await alice.ask(`send 7000 sats to ${bob.npub}`, scheme)).toMatch(/^Send 7,000 sats/);
    expect(await alice.ask('no', scheme)).toBe('Cancelled. Nothing was sent.');
    expect(await alice.ask('yes', scheme)).toBe('There is nothing waiting for your confirmation.');

    expect(await alice.ask(`send 8k ${bob.npub}`, scheme)).toMatch(/^Send 8,000 sats/);
    await sql()`update dm_confirmations set expires_at = now() - interval '1 second' where pubkey = ${alice.pk}`;
    expect(await alice.ask('yes', scheme)).toBe('That confirmation expired. Send the command again.');
    expect(await balanceOf(alice)).toBe(14_000_000n);
    // Small sends need no confirmation.
    expect(await alice.ask(`send 5000 ${bob.npub}`, scheme)).toMatch(/^✅ Sent 5,000 sats/);
  });

  it('asks before paying a large invoice, with the fee reserve, and pays it on yes', async () => {
    const alice = await funded(20_000, scheme);
    const bolt11 = await svc.wallet.externalInvoice(6_000_000n);
    expect(await alice.ask(`pay ${bolt11}`, scheme)).toBe('Pay 6,000 sats for "outside" (fee at most 60 sats)? Reply yes or no.');
    expect(await alice.ask('はい', scheme)).toMatch(/^✅ Paid 6,000 sats \(fee 7 sats\)\.\nPreimage: [0-9a-f]{64}$/);
  });
});

describe('each DM is acted on once', () => {
  it('pays once when the same DM arrives on two relays, re-wrapped, and again after a restart', async () => {
    const alice = await funded(10_000);
    const bob = await payee();
    const nip04 = alice.dm(`send 1000 ${bob.npub}`, 'nip04');
    // The same event on both relays at once, as a client that writes to several relays sends it.
    await Promise.all(svc.relays.map(async (r) => {
      const conn = await Relay.connect(r.url);
      await conn.publish(nip04.event);
      conn.close();
    }));
    await alice.replyTo(nip04.id);
    await bob.u.waitFor(/sent you 1,000 sats/);

    // NIP-17: the same rumor in a second gift wrap (a client retrying) is the same message.
    const rumor = nip59.createRumor({ kind: 14, created_at: Math.floor(Date.now() / 1000), tags: [['p', svc.botPubkey]], content: `send 2000 ${bob.npub}` }, alice.sk);
    const wraps = [0, 1].map(() => nip59.createWrap(nip59.createSeal(rumor, alice.sk, svc.botPubkey), svc.botPubkey));
    for (const w of wraps) await alice.relay.publish(w);
    await alice.replyTo(rumor.id);
    await bob.u.waitFor(/sent you 2,000 sats/);

    // After a restart the relays send the stored DMs again; the bot recognises them.
    await restartBots(svc);
    expect(await alice.ask('balance', 'nip04')).toBe('Balance: 7,000 sats');
    expect(await balanceOf(bob.u)).toBe(3_000_000n);
    expect(alice.inbox.filter((m) => m.replyTo === nip04.id || m.replyTo === rumor.id)).toHaveLength(2);
    expect(bob.u.inbox.filter((m) => /sent you/.test(m.text))).toHaveLength(2);
    const recorded = await sql()`select id from dm_messages where id in ${sql()([nip04.id, rumor.id, ...wraps.map((w) => w.id)])}`;
    expect(recorded).toHaveLength(4);
  });

  it('refuses a NIP-17 seal whose signer is not the rumor author', async () => {
    const alice = await funded(5000, 'nip17');
    const eve = await payee();
    const aliceSeen = alice.inbox.length;
    const forged = forgedGiftWrap(alice.pk, eve.u.sk, svc.botPubkey, `send 1000 ${eve.npub}`);
    const forgedAgain = forgedGiftWrap(alice.pk, eve.u.sk, svc.botPubkey, 'balance');
    for (const e of [forged, forgedAgain]) await eve.u.relay.publish(e);
    // Eve's next message is answered, so the forged ones (sent before it) were seen and dropped.
    expect(await eve.u.ask('balance', 'nip17')).toBe('Balance: 0 sats');
    expect(eve.u.inbox).toHaveLength(2);
    expect(alice.inbox).toHaveLength(aliceSeen);
    expect(await alice.ask('balance', 'nip17')).toBe('Balance: 5,000 sats');
    const rows = await sql()`select 1 from dm_messages where id in ${sql()([forged.id, forgedAgain.id])}`;
    expect(rows).toHaveLength(0);
  });
});

describe('limits and bad input', () => {
  it('rate-limits a flooding sender with one polite reply, and keeps answering others', async () => {
    const flood = await svc.user();
    const ids: string[] = [];
    for (let i = 0; i < BURST + 4; i++) ids.push(await flood.send('balance', 'nip04'));
    await flood.waitFor(/^Too many messages\. Try again in \d+ s\.$/);
    // Refused before anything is written: the burst and the one message that got the notice.
    const rows = async () => (await sql()`select 1 from dm_messages where sender = ${flood.pk}`).length;
    await expect.poll(rows).toBe(BURST + 1);
    expect(flood.inbox.filter((m) => m.text === 'Balance: 0 sats')).toHaveLength(BURST);
    expect(flood.inbox).toHaveLength(BURST + 1);
    const other = await svc.user();
    expect(await other.ask('balance', 'nip17')).toBe('Balance: 0 sats');
    expect(await rows()).toBe(BURST + 1);
  });

  it('drops undecryptable messages with a log line and answers the next one', async () => {
    const u = await svc.user();
    const garbage = finalizeEvent({ kind: EncryptedDirectMessage, created_at: Math.floor(Date.now() / 1000), tags: [['p', svc.botPubkey]], content: 'not encrypted at all' }, u.sk);
    await u.relay.publish(garbage);
    const badWrap = finalizeEvent({ kind: 1059, created_at: Math.floor(Date.now() / 1000), tags: [['p', svc.botPubkey]], content: 'AAAA' }, generateSecretKey());
    await u.relay.publish(badWrap);
    expect(await u.ask('balance', 'nip04')).toBe('Balance: 0 sats');
    expect(u.inbox).toHaveLength(1);
    expect(await u.ask('x'.repeat(5000), 'nip04')).toBe('That text is too long (at most 4000 characters).');
  });

  it('gives a clear reply to bad amounts, invoices and recipients', async () => {
    const u = await funded(1000);
    const cases: Array<[string, string | RegExp]> = [
      ['send -5 npub1xyz', 'The amount must be positive.'],
      ['invoice 0', 'The amount must be more than zero.'],
      ['invoice 99999999 btc', 'That amount is larger than all bitcoin there will ever be.'],
      ['invoice 2000000 sats', 'Amounts here go up to 1,000,000 sats.'],
      ['invoice lots', '"lots" is not an amount. Examples: 1000, 1k, 21 sats, 0.0001 btc.'],
      ['pay lnbc1notaninvoice', 'That is not a Lightning invoice (it should start with lnbc…).'],
      [`pay ${foreignInvoice().slice(0, -6)}qqqqqq`, 'That invoice is not valid (bad checksum or signature). Copy it again in full.'],
      [`pay ${foreignInvoice({ network: 'mainnet' })}`, 'That invoice is for mainnet; this wallet runs on regtest.'],
      [`pay ${foreignInvoice({ createdAt: new Date(Date.now() - 7200_000), expirySeconds: 60 })}`, 'That invoice has expired. Ask for a new one.'],
      [`pay ${foreignInvoice({ amountMsat: undefined })}`, /^That invoice has no amount: add one\./],
      [`pay ${foreignInvoice()} 5 sats`, 'That invoice asks for 1,000 sats; leave the amount out or give exactly that.'],
      [`pay ${foreignInvoice({ amountMsat: 995_000n })}`, 'Not enough funds: this needs 1,005 sats including fees, your balance is 1,000 sats.'],
      [`send 10 ${nip19.nsecEncode(generateSecretKey())}`, /^⚠️ That is a SECRET key/],
      ['send 10 bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'I cannot send to bc1qw508d6qe…v8f3t4 yet: on-chain addresses and Cashu tokens are not supported here yet.'],
      [`send 10 ${nip19.npubEncode(u.pk)}`, 'That is your own invoice or account: nothing to do.'],
      ['connectt', 'I don\'t know "connectt". Did you mean "connect"? Send "help" for the list of commands.'],
    ];
    for (const [input, expected] of cases) expect(await u.ask(input, 'nip04'), input).toEqual(typeof expected === 'string' ? expected : expect.stringMatching(expected));
    expect(await balanceOf(u)).toBe(1_000_000n);
  });

  it('answers "in flight" for a slow payment, then DMs the outcome', async () => {
    const u = await funded(5000, 'nip17');
    // The node holds the payment until the test lets it go (the worker stops waiting after
    // PAYMENT_TIMEOUT_SECONDS); a timed hold raced the replies on a loaded machine.
    svc.wallet.node.faults.payDelayMs = 3600_000;
    try {
      const bolt11 = await svc.wallet.externalInvoice(2_000_000n);
      expect(await u.ask(`pay ${bolt11}`, 'nip17')).toBe('⏳ The payment is in flight. The amount stays on hold until it settles or fails; I will tell you.');
      expect(await u.ask('balance', 'nip17')).toBe('Balance: 2,980 sats (2,020 sats on hold for pending payments)');
      await sql()`update fake_ln_payments set completes_at = now() where status = 'pending'`;
      await reconcile(svc.wallet.ctx, svc.wallet.node, 0);
      const outcome = await u.waitFor(/^✅ Paid 2,000 sats/);
      expect(outcome.scheme).toBe('nip17');
      expect(await u.ask('balance', 'nip17')).toBe('Balance: 2,997 sats');
      expect(u.inbox.filter((m) => /^✅ Paid/.test(m.text))).toHaveLength(1);
    } finally {
      svc.wallet.node.faults.payDelayMs = 0;
    }
  });
});
