// The DM bot's side: usernames, and zaps from a user's account — to a user here (internal,
// our own receipt), anonymous or signed with the user's key, and to someone elsewhere found
// through their kind-0 profile's lud16 (a local LNURL stand-in).
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../../core/ledger/accounts.ts';
import { balance } from '../../../core/ledger/ledger.ts';
import { setUsername, UsernameError } from '../../../core/addresses/usernames.ts';
import { setCustodialSigning, zapFromUser } from '../../../core/zaps/user.ts';
import type { CreateInvoiceRequest } from '../../../workers/lightning/port.ts';
import { fakeRoutingFeeMsat } from '../../../workers/lightning/fake.ts';
import { MiniRelay } from '../../support/mini-relay.ts';
import { startLnurlSim, type LnurlSim } from '../../sims/lnurl/server.ts';
import { startZapService, type ZapService } from '../../support/zaps.ts';
import { fund } from '../../support/wallet.ts';

let svc: ZapService;
let sim: LnurlSim;
let own: MiniRelay;
const userSk = generateSecretKey();
const user = getPublicKey(userSk);
const friend = getPublicKey(generateSecretKey());
const outsiderSk = generateSecretKey();
const outsider = getPublicKey(outsiderSk);
let userAccount: string;

const receiptFor = (pubkey: string) => own.events.find((e) => e.kind === 9735 && e.tags.some((t) => t[0] === 'p' && t[1] === pubkey));
const requestOf = (receipt: NostrEvent) => JSON.parse(receipt.tags.find((t) => t[0] === 'description')![1]!) as NostrEvent;

beforeAll(async () => {
  own = await MiniRelay.start();
  const late: { external?: { createInvoice(r: CreateInvoiceRequest): Promise<unknown> } } = {};
  sim = await startLnurlSim({ node: { createInvoice: (r) => late.external!.createInvoice(r) as never }, users: { out: {} } });
  svc = await startZapService({ ZAP_RELAYS: own.url, LNURL_DEV_HOSTS: `shop.test=${sim.url}` });
  late.external = svc.wallet.external;
  const ctx = svc.wallet.ctx;
  userAccount = (await accounts.forPubkey(ctx.sql, user)).id;
  await fund(ctx.sql, userAccount, 100_000n);
  await accounts.forPubkey(ctx.sql, friend);
  // The outsider's profile names their lightning address elsewhere.
  own.inject(finalizeEvent({ kind: 0, created_at: 2, tags: [], content: JSON.stringify({ lud16: 'out@shop.test' }) }, outsiderSk));
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  await own?.stop();
});

describe('usernames', () => {
  it('claims, renames, and refuses taken, reserved and malformed names', async () => {
    const ctx = svc.wallet.ctx;
    expect(await setUsername(ctx, user, 'Satoshi')).toEqual({ name: 'satoshi', address: 'satoshi@flash.test' });
    const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof UsernameError ? e.code : String(e)));
    expect(await reason(setUsername(ctx, friend, 'satoshi'))).toBe('taken');
    expect(await reason(setUsername(ctx, friend, 'admin'))).toBe('reserved');
    expect(await reason(setUsername(ctx, friend, ctx.config.BOT_DM_USERNAME))).toBe('reserved');
    expect(await reason(setUsername(ctx, friend, 'no spaces'))).toBe('invalid');
    expect(await setUsername(ctx, user, 'nakamoto')).toMatchObject({ name: 'nakamoto' });
    expect(await setUsername(ctx, friend, 'satoshi')).toMatchObject({ name: 'satoshi' });
  });
});

describe('zapFromUser', () => {
  it('zaps a user here anonymously: internal payment, our receipt with the anon tag', async () => {
    const ctx = svc.wallet.ctx;
    const r = await zapFromUser(ctx, { userPubkey: user, target: nip19.npubEncode(friend), amountMsat: 2_000n, comment: 'gm', idempotencyKey: 'dm-1' });
    expect(r).toMatchObject({ route: 'internal', recipient: friend, payment: { status: 'succeeded', feeMsat: 0n } });
    await expect.poll(() => receiptFor(friend), { timeout: 10_000 }).toBeDefined();
    const request = requestOf(receiptFor(friend)!);
    expect(request.pubkey).not.toBe(user);
    expect(request.tags).toContainEqual(['anon']);
    expect(request.content).toBe('gm');
    // The same DM again pays nothing more.
    await zapFromUser(ctx, { userPubkey: user, target: nip19.npubEncode(friend), amountMsat: 2_000n, comment: 'gm', idempotencyKey: 'dm-1' });
    expect(await balance(ctx.sql, (await accounts.findByPubkey(ctx.sql, friend))!.id)).toBe(2_000n);
  });

  it('signs with the user key once custodial signing is on, and zaps an event', async () => {
    const ctx = svc.wallet.ctx;
    await expect(setCustodialSigning(ctx, user, generateSecretKey())).rejects.toThrow(/does not belong/);
    await setCustodialSigning(ctx, user, userSk);
    const note = nip19.neventEncode({ id: 'cd'.repeat(32), author: friend, kind: 1 });
    await zapFromUser(ctx, { userPubkey: user, target: note, amountMsat: 3_000n, idempotencyKey: 'dm-2' });
    await expect.poll(() => own.events.filter((e) => e.kind === 9735 && e.tags.some((t) => t[0] === 'e')).length, { timeout: 10_000 }).toBe(1);
    const receipt = own.events.find((e) => e.kind === 9735 && e.tags.some((t) => t[0] === 'e'))!;
    expect(requestOf(receipt).pubkey).toBe(user);
    expect(receipt.tags).toEqual(expect.arrayContaining([['e', 'cd'.repeat(32)], ['k', '1'], ['P', user]]));
  });

  it('zaps someone elsewhere through the lud16 of their profile, checking the invoice', async () => {
    const ctx = svc.wallet.ctx;
    const before = await balance(ctx.sql, userAccount);
    const r = await zapFromUser(ctx, { userPubkey: user, target: nip19.npubEncode(outsider), amountMsat: 4_000n, comment: 'hello out there', idempotencyKey: 'dm-3' });
    expect(r).toMatchObject({ route: 'external', payment: { status: 'succeeded' } });
    const issued = sim.issued.at(-1)!;
    expect(issued.name).toBe('out');
    expect(JSON.parse(issued.zapRequest!).tags).toContainEqual(['p', outsider]);
    expect(await balance(ctx.sql, userAccount)).toBe(before - 4_000n - fakeRoutingFeeMsat(4_000n));
  });

  it('refuses bad targets and insufficient funds without paying', async () => {
    const ctx = svc.wallet.ctx;
    await expect(zapFromUser(ctx, { userPubkey: user, target: 'nsec1xyz', amountMsat: 1000n, idempotencyKey: 'dm-4' })).rejects.toThrow(/npub/);
    await expect(zapFromUser(ctx, { userPubkey: user, target: nip19.npubEncode(friend), amountMsat: 10_000_000n, idempotencyKey: 'dm-5' })).rejects.toMatchObject({ code: 'insufficient_balance' });
  });
});
