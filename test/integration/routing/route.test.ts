// core/routing against the wallet, a relay holding profiles and an LNURL stand-in: one rule
// for every recipient, and paying each route once per idempotency key.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payCallback } from '../../../core/addresses/lnurl-pay.ts';
import { claimUsername } from '../../../core/addresses/usernames.ts';
import * as accounts from '../../../core/ledger/accounts.ts';
import { balance } from '../../../core/ledger/ledger.ts';
import { PaymentError } from '../../../core/payments/errors.ts';
import { getTransaction } from '../../../core/payments/transactions.ts';
import { RouteError } from '../../../core/routing/errors.ts';
import { parseRecipient } from '../../../core/routing/recipient.ts';
import { routeOf, routingDeps, type RoutingDeps } from '../../../core/routing/route.ts';
import { sendPayment } from '../../../core/routing/send.ts';
import type { CreateInvoiceRequest } from '../../../workers/lightning/port.ts';
import { startLnurlSim, type LnurlSim } from '../../sims/lnurl/server.ts';
import { MiniRelay } from '../../support/mini-relay.ts';
import { fund, newKey } from '../../support/wallet.ts';
import { startZapService, type ZapService } from '../../support/zaps.ts';

let svc: ZapService;
let sim: LnurlSim;
let own: MiniRelay;
let deps: RoutingDeps;
let payer: string;
/** friends.test: NIP-05 names only, no lightning addresses. */
let friends: http.Server;
const friendNames: Record<string, string> = {};
const ctx = () => svc.wallet.ctx;
const route = (to: string) => routeOf(ctx(), deps, parseRecipient(to));
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof RouteError || e instanceof PaymentError ? e.code : String(e)));

/** A key whose kind-0 profile says `content`. */
function withProfile(content: Record<string, string>): string {
  const sk = generateSecretKey();
  own.inject(finalizeEvent({ kind: 0, created_at: 2, tags: [], content: JSON.stringify(content) }, sk));
  return getPublicKey(sk);
}

beforeAll(async () => {
  own = await MiniRelay.start();
  const late: { external?: { createInvoice(r: CreateInvoiceRequest): Promise<unknown> } } = {};
  sim = await startLnurlSim({ node: { createInvoice: (r) => late.external!.createInvoice(r) as never }, users: { out: {} } });
  friends = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.searchParams.get('name') ?? '';
    if (url.pathname !== '/.well-known/nostr.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ names: friendNames[name] ? { [name]: friendNames[name] } : {} }));
  });
  await new Promise<void>((resolve) => friends.listen(0, '127.0.0.1', resolve));
  const friendsUrl = `http://127.0.0.1:${(friends.address() as AddressInfo).port}`;
  // dead.test: a lightning address whose server does not answer.
  svc = await startZapService({ ZAP_RELAYS: own.url, LNURL_DEV_HOSTS: `shop.test=${sim.url},dead.test=http://127.0.0.1:1,friends.test=${friendsUrl}` });
  late.external = svc.wallet.external;
  deps = routingDeps(ctx());
  payer = (await accounts.forPubkey(ctx().sql, getPublicKey(generateSecretKey()))).id;
  await fund(ctx().sql, payer, 1_000_000n);
});

afterAll(async () => {
  deps?.profiles.close();
  await svc?.close();
  await sim?.close();
  await own?.stop();
  await new Promise((resolve) => friends?.close(resolve));
});

describe('routeOf', () => {
  it('pays a key here: its account, else the lightning address of its profile, else a new account here', async () => {
    const member = getPublicKey(generateSecretKey());
    const { id } = await accounts.forPubkey(ctx().sql, member);
    expect(await route(nip19.npubEncode(member))).toEqual({ rail: 'internal', pubkey: member, accountId: id });

    const outsider = withProfile({ lud16: 'out@shop.test' });
    expect(await route(nip19.npubEncode(outsider))).toMatchObject({ rail: 'lnurl', target: 'out@shop.test', pubkey: outsider, payRequest: { callback: expect.any(String) } });

    const unreachable = withProfile({ lud16: 'gone@dead.test' });
    const newcomer = getPublicKey(generateSecretKey());
    for (const pubkey of [unreachable, newcomer]) expect(await route(nip19.npubEncode(pubkey))).toEqual({ rail: 'internal', pubkey });
    // Routing makes no account: paying does.
    expect(await accounts.findByPubkey(ctx().sql, newcomer)).toBeUndefined();
  });

  it('pays our own names to their owners, and refuses names nobody holds', async () => {
    const owner = getPublicKey(generateSecretKey());
    await claimUsername(ctx().sql, owner, 'routed');
    expect(await route('Routed@flash.test')).toMatchObject({ rail: 'internal', pubkey: owner });
    expect(await route(`${nip19.npubEncode(owner)}@flash.test`)).toMatchObject({ rail: 'internal', pubkey: owner });
    expect(await codeOf(route('nobody@flash.test'))).toBe('unknown_recipient');
  });

  it('pays a NIP-05 name elsewhere to its key here when that key has an account or the domain takes no payments', async () => {
    const [member, newcomer] = [getPublicKey(generateSecretKey()), getPublicKey(generateSecretKey())];
    const { id } = await accounts.forPubkey(ctx().sql, member);
    Object.assign(friendNames, { member, newcomer });
    expect(await route('member@friends.test')).toEqual({ rail: 'internal', pubkey: member, accountId: id });
    expect(await route('newcomer@friends.test')).toEqual({ rail: 'internal', pubkey: newcomer });
    // Neither a NIP-05 key nor a lightning address: nobody to pay.
    expect(await codeOf(route('stranger@friends.test'))).toMatch(/^LnurlError/);
  });

  it('routes invoices as invoices, and refuses what has no rail yet', async () => {
    const invoice = await svc.wallet.externalInvoice(5000n);
    expect(await route(invoice)).toMatchObject({ rail: 'invoice', paymentRequest: invoice, amountMsat: 5000n, network: 'regtest' });
    expect(await codeOf(route(`${invoice.slice(0, -6)}qqqqqq`))).toBe('invalid_invoice');
    expect(await codeOf(route('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'))).toBe('not_supported');
    expect(await codeOf(route('cashuBo2FteCJodHRwczovL21pbnQuZXhhbXBsZS5jb20'))).toBe('not_supported');
  });
});

describe('sendPayment', () => {
  it('pays a newcomer into an account made for them, marked for a notice, once per key', async () => {
    const newcomer = getPublicKey(generateSecretKey());
    const r = await route(nip19.npubEncode(newcomer));
    const key = newKey();
    const first = await sendPayment(ctx(), deps, { payerAccountId: payer, idempotencyKey: key, route: r, amountMsat: 21_000n, memo: 'hi' });
    const again = await sendPayment(ctx(), deps, { payerAccountId: payer, idempotencyKey: key, route: r, amountMsat: 21_000n, memo: 'hi' });
    expect(first.rail).toBe('internal');
    expect(again).toEqual(first);
    const account = (await accounts.findByPubkey(ctx().sql, newcomer))!;
    expect(await balance(ctx().sql, account.id)).toBe(21_000n);
    const [incoming] = await ctx().sql<{ id: string }[]>`select id from transactions where account_id = ${account.id}`;
    expect((await getTransaction(ctx().sql, incoming!.id))!.metadata).toEqual({ notify: true });
  });

  it('marks money paid to a lightning address here for a notice to its owner too', async () => {
    const { pr } = await payCallback(ctx(), nip19.npubEncode(getPublicKey(generateSecretKey())), { amount: '5000', comment: 'gm' });
    const [row] = await ctx().sql<{ metadata: unknown }[]>`select metadata from transactions where payment_request = ${pr}`;
    expect(row!.metadata).toEqual({ comment: 'gm', notify: true });
  });

  it('pays a lightning address elsewhere through LNURL-pay, asking its server once per key', async () => {
    const r = await route('out@shop.test');
    const before = sim.issued.length;
    const key = newKey();
    const first = await sendPayment(ctx(), deps, { payerAccountId: payer, idempotencyKey: key, route: r, amountMsat: 10_000n, memo: 'thanks', waitMs: 10_000 });
    expect(first).toMatchObject({ rail: 'lnurl', payment: { status: 'succeeded', amountMsat: 10_000n } });
    expect(await sendPayment(ctx(), deps, { payerAccountId: payer, idempotencyKey: key, route: r, amountMsat: 10_000n, waitMs: 10_000 })).toEqual(first);
    expect(sim.issued.slice(before)).toMatchObject([{ name: 'out', amountMsat: 10_000n, comment: 'thanks' }]);
  });
});
