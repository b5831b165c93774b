// Lightning addresses and zaps received, through a third-party client: @getalby/lightning-tools
// (proxy off, fetch mapped to our port), receipts checked with nostr-tools' nip57 helpers.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LightningAddress } from '@getalby/lightning-tools';
import { decodeInvoice } from '@getalby/lightning-tools/bolt11';
import { validateZapRequest } from 'nostr-tools/nip57';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent, type NostrEvent } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBolt11 } from '../../../core/lightning/bolt11.ts';
import * as accounts from '../../../core/ledger/accounts.ts';
import { claimUsername } from '../../../core/addresses/usernames.ts';
import { MiniRelay } from '../../support/mini-relay.ts';
import { startZapService, type ZapService } from '../../support/zaps.ts';

const hashHex = (s: string) => bytesToHex(sha256(new TextEncoder().encode(s)));

let svc: ZapService;
let own: MiniRelay;
let relayA: MiniRelay;
let relayB: MiniRelay;
const alice = generateSecretKey();
const alicePk = getPublicKey(alice);
const sender = generateSecretKey();
const realFetch = globalThis.fetch;

const signer = { getPublicKey: async () => getPublicKey(sender), signEvent: async (e: object) => finalizeEvent(e as never, sender) };

beforeAll(async () => {
  [own, relayA, relayB] = await Promise.all([MiniRelay.start(), MiniRelay.start(), MiniRelay.start()]);
  svc = await startZapService({ ZAP_RELAYS: own.url });
  await claimUsername(svc.wallet.ctx.sql, alicePk, 'alice');
  globalThis.fetch = svc.fetch;
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await svc?.close();
  await Promise.all([own, relayA, relayB].map((r) => r?.stop()));
});

/** A webln that pays from the rest of the (fake) network. */
const webln = () => ({
  enable: async () => {},
  sendPayment: async (pr: string) => {
    const r = await svc.wallet.external.payInvoice({ paymentRequest: pr, maxFeeMsat: 10_000n, timeoutSeconds: 10 });
    if (r.status !== 'succeeded') throw new Error(`payment ${r.status}`);
    return { preimage: r.preimage };
  },
});

const nostrPubkeyOf = (ln: LightningAddress) => (ln.lnurlpData!.rawData as { nostrPubkey?: string }).nostrPubkey;
const receiptsOn = (relay: MiniRelay) => relay.events.filter((e) => e.kind === 9735);

describe('lightning address', () => {
  it('serves a LUD-06 pay request with NIP-57 fields and a NIP-05 name', async () => {
    const ln = new LightningAddress('alice@flash.test', { proxy: false });
    await ln.fetch();
    expect(ln.lnurlpData).toMatchObject({ min: 1000, max: 1_000_000_000, commentAllowed: 255, allowsNostr: true, identifier: 'alice@flash.test' });
    expect(ln.lnurlpData!.rawData).toMatchObject({ tag: 'payRequest', callback: 'https://flash.test/lnurlp/alice/callback' });
    expect(nostrPubkeyOf(ln)).toMatch(/^[0-9a-f]{64}$/);
    expect(ln.nostrPubkey).toBe(alicePk);
  });

  it('answers for every npub, registered or not', async () => {
    const ln = new LightningAddress(`${nip19.npubEncode(alicePk)}@flash.test`, { proxy: false });
    await ln.fetch();
    expect(ln.lnurlpData?.allowsNostr).toBe(true);
    expect(ln.nostrPubkey).toBe(alicePk);
  });

  it('gives a LUD-06 error for unknown names', async () => {
    const res = await svc.fetch('https://flash.test/.well-known/lnurlp/nobody');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 'ERROR' });
    const nip05 = await (await svc.fetch('https://flash.test/.well-known/nostr.json?name=nobody')).json();
    expect(nip05).toEqual({ names: {}, relays: {} });
  });

  it('issues an invoice committed to the metadata, and credits alice when it is paid', async () => {
    const ln = new LightningAddress('alice@flash.test', { proxy: false, webln: webln() as never });
    await ln.fetch();
    const invoice = await ln.requestInvoice({ satoshi: 10, comment: 'thanks' });
    const decoded = decodeBolt11(invoice.paymentRequest);
    expect(decoded.amountMsat).toBe(10_000n);
    expect(decoded.descriptionHash).toBe(ln.lnurlpData!.metadataHash);
    await webln().sendPayment(invoice.paymentRequest);
    const account = await accounts.findByPubkey(svc.wallet.ctx.sql, alicePk);
    await expect.poll(async () => (await accounts.get(svc.wallet.ctx.sql, account!.id))!.balanceMsat, { timeout: 10_000 }).toBe(10_000n);
  });

  it.each([
    ['amount below minSendable', 'amount=999'],
    ['amount above maxSendable', 'amount=1000000001'],
    ['amount not a number', 'amount=12.5'],
    ['no amount', 'comment=hi'],
    ['comment too long', `amount=1000&comment=${'x'.repeat(256)}`],
    ['zap request that is not JSON', 'amount=1000&nostr=%7Bnope'],
  ])('refuses a callback with %s (LUD-06 error)', async (_name, query) => {
    const res = await svc.fetch(`https://flash.test/lnurlp/alice/callback?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'ERROR', reason: expect.any(String) });
  });

  it('refuses a zap request for someone else', async () => {
    const other = finalizeEvent({ kind: 9734, created_at: Math.floor(Date.now() / 1000), content: '', tags: [['p', getPublicKey(generateSecretKey())], ['amount', '1000'], ['relays', relayA.url]] }, sender);
    const res = await svc.fetch(`https://flash.test/lnurlp/alice/callback?amount=1000&nostr=${encodeURIComponent(JSON.stringify(other))}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/owner of this address/);
  });
});

describe('zaps received', () => {
  it('publishes a valid receipt to the request relays and ours, retrying a relay that was down', async () => {
    await relayB.stop();
    const ln = new LightningAddress('alice@flash.test', { proxy: false, webln: webln() as never });
    await ln.fetch();
    const noteId = 'ab'.repeat(32);
    await ln.zap({ satoshi: 21, comment: 'great post', relays: [relayA.url, relayB.url], e: noteId }, { nostr: signer as never });

    await expect.poll(() => receiptsOn(relayA).length, { timeout: 15_000 }).toBe(1);
    const receipt = receiptsOn(relayA)[0]! as NostrEvent;
    expect(verifyEvent(JSON.parse(JSON.stringify(receipt)))).toBe(true);
    expect(receipt.pubkey).toBe(nostrPubkeyOf(ln));
    const description = receipt.tags.find((t) => t[0] === 'description')![1]!;
    expect(validateZapRequest(description)).toBeNull();
    const bolt11 = receipt.tags.find((t) => t[0] === 'bolt11')![1]!;
    // nostr-tools' getSatoshisAmountFromBolt11 reads only mainnet (lnbc) prefixes; lightning-tools reads regtest too.
    expect(decodeInvoice(bolt11)?.satoshi).toBe(21);
    expect(decodeBolt11(bolt11).descriptionHash).toBe(hashHex(description));
    const request = JSON.parse(description) as NostrEvent;
    expect(request.content).toBe('great post');
    expect(receipt.tags).toEqual(expect.arrayContaining([['p', alicePk], ['e', noteId], ['P', getPublicKey(sender)]]));
    expect(receipt.tags.find((t) => t[0] === 'preimage')?.[1]).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => receiptsOn(own).map((e) => e.id), { timeout: 10_000 }).toEqual([receipt.id]);

    expect(receiptsOn(relayB)).toEqual([]);
    await relayB.listen();
    await expect.poll(() => receiptsOn(relayB).map((e) => e.id), { timeout: 20_000 }).toEqual([receipt.id]);
  });
});
