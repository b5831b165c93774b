// The LND adapter end to end: the real `lightning` client over TLS and gRPC against the LND
// stand-in (two simulated regtest nodes joined by a fee-charging hub).
import { createHash, randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { authenticatedLndGrpc, getWalletInfo } from 'lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config.ts';
import { createLndBackend, type LndBackend } from '../../workers/lightning/lnd.ts';
import { LightningError, type Invoice } from '../../workers/lightning/port.ts';
import { encodeRequest } from '../sims/lnd/bolt11.ts';
import { startLndSim, type LndSim, type LndSimNode } from '../sims/lnd/sim.ts';
import { freePort } from '../support/process.ts';

let sim: LndSim;
let alice: LndBackend;
let bob: LndBackend;
let aliceNode: LndSimNode;
let bobNode: LndSimNode;

const connect = (node: LndSimNode, cert = sim.certBase64, macaroon = node.macaroon) =>
  createLndBackend({ NETWORK: 'regtest', LND_SOCKET: node.socket, LND_CERT: cert, LND_MACAROON: macaroon });
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const preimage = () => randomBytes(32).toString('hex');
const fee = (amountMsat: bigint) => 1000n + (amountMsat * 1000n) / 1_000_000n; // the sim hub's default policy
const pay = (paymentRequest: string, extra: { amountMsat?: bigint; timeoutSeconds?: number } = {}) =>
  alice.payInvoice({ paymentRequest, maxFeeMsat: 100_000n, timeoutSeconds: 5, ...extra });
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof LightningError ? e.code : `other: ${String(e)}`));

/** A payment request of 1 sat signed by `key` (a stranger's by default), not created by any node. */
const foreignRequest = (opts: { key?: Uint8Array; network?: string; createdAt?: number } = {}) => encodeRequest(opts.key ?? secp256k1.utils.randomSecretKey(), {
  network: opts.network ?? 'regtest', paymentHash: randomBytes(32), paymentAddr: randomBytes(32), amountMsat: 1000n, memo: '',
  descriptionHash: Buffer.alloc(0), createdAt: opts.createdAt ?? Math.floor(Date.now() / 1000), expirySeconds: 3600, cltvDelta: 40,
});

/** A subscription collecting updates, for assertions with expect.poll. */
function collect(backend: LndBackend, after: bigint) {
  const updates: Invoice[] = [];
  const errors: Error[] = [];
  const sub = backend.subscribeInvoices(after, async (i) => { updates.push(i); }, (e) => errors.push(e));
  return { updates, errors, close: () => sub.close() };
}

beforeAll(async () => {
  sim = await startLndSim();
  aliceNode = sim.node('alice');
  bobNode = sim.node('bob');
  alice = connect(aliceNode);
  // bob's credentials as file paths, as LND writes them
  bob = connect(bobNode, sim.certPath, bobNode.macaroonPath);
});

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await sim?.close();
});

describe('LND adapter against the stand-in', () => {
  it('reads node info and balances', async () => {
    await expect(bob.getInfo()).resolves.toMatchObject({ pubkey: bobNode.pubkey, alias: 'bob', network: 'regtest', syncedToChain: true });
    const balances = await alice.getBalances();
    expect(balances).toEqual({
      channelLocalMsat: aliceNode.state.localMsat - aliceNode.state.inflightMsat,
      channelRemoteMsat: aliceNode.state.remoteMsat,
      onchainConfirmedSat: 1_000_000n,
    });
  });

  it('creates invoices with an amount, a description or a description hash, and decodes them', async () => {
    const inv = await bob.createInvoice({ amountMsat: 123_456n, description: 'coffee', expirySeconds: 600 });
    expect(inv).toMatchObject({ amountMsat: 123_456n, description: 'coffee', state: 'open', isHold: false, receivedMsat: 0n });
    expect(inv.paymentRequest).toMatch(/^lnbcrt1/);
    expect(inv.expiresAt.getTime() - inv.createdAt.getTime()).toBe(600_000);
    const decoded = await alice.decodeInvoice(inv.paymentRequest);
    expect(decoded).toMatchObject({ paymentHash: inv.paymentHash, destination: bobNode.pubkey, amountMsat: 123_456n, description: 'coffee', network: 'regtest' });

    const descriptionHash = sha256(Buffer.from('{"long":"metadata"}').toString('hex'));
    const hashed = await bob.createInvoice({ descriptionHash, expirySeconds: 600 });
    expect(hashed).toMatchObject({ amountMsat: undefined, descriptionHash, description: undefined });
    await expect(alice.decodeInvoice(hashed.paymentRequest)).resolves.toMatchObject({ descriptionHash, amountMsat: undefined });

    expect(await codeOf(bob.createInvoice({ description: 'x', descriptionHash, expirySeconds: 60 }))).toBe('invalid_request');
    expect(await codeOf(bob.createInvoice({ descriptionHash: 'abcd', expirySeconds: 60 }))).toBe('invalid_request');
  });

  it('rejects undecodable and foreign-network payment requests', async () => {
    expect(await codeOf(alice.decodeInvoice('lnbcrt1garbage'))).toBe('invalid_invoice');
    const mainnet = foreignRequest({ network: 'bitcoin' });
    expect(await codeOf(alice.decodeInvoice(mainnet))).toBe('wrong_network');
    expect(await codeOf(pay(mainnet))).toBe('wrong_network');
  });

  it('pays another node\'s invoice: preimage, fee, balances on both sides', async () => {
    const [aliceBefore, bobBefore] = [await alice.getBalances(), await bob.getBalances()];
    const inv = await bob.createInvoice({ amountMsat: 10_000_000n, description: 'pizza', expirySeconds: 600 });
    const result = await pay(inv.paymentRequest);
    expect(result).toEqual({ status: 'succeeded', paymentHash: inv.paymentHash, preimage: expect.any(String), amountMsat: 10_000_000n, feeMsat: fee(10_000_000n) });
    if (result.status !== 'succeeded') throw new Error('unreachable');
    expect(sha256(result.preimage)).toBe(inv.paymentHash);

    const settled = await bob.lookupInvoice(inv.paymentHash);
    expect(settled).toMatchObject({ state: 'settled', receivedMsat: 10_000_000n, preimage: result.preimage, settleIndex: expect.any(BigInt) });
    expect((await alice.getBalances()).channelLocalMsat).toBe(aliceBefore.channelLocalMsat - 10_000_000n - fee(10_000_000n));
    expect((await bob.getBalances()).channelLocalMsat).toBe(bobBefore.channelLocalMsat + 10_000_000n);
    await expect(alice.lookupPayment(inv.paymentHash)).resolves.toEqual(result);
  });

  it('pays an amountless invoice with the given amount, and refuses one without', async () => {
    const inv = await bob.createInvoice({ description: 'tip', expirySeconds: 600 });
    expect(await codeOf(pay(inv.paymentRequest))).toBe('invalid_request');
    await expect(pay(inv.paymentRequest, { amountMsat: 21_000n })).resolves.toMatchObject({ status: 'succeeded', amountMsat: 21_000n });
    await expect(bob.lookupInvoice(inv.paymentHash)).resolves.toMatchObject({ state: 'settled', receivedMsat: 21_000n });
  });

  it('never pays the same invoice twice, whether the calls race or follow each other', async () => {
    const inv = await bob.createInvoice({ amountMsat: 50_000n, expirySeconds: 600 });
    const before = await alice.getBalances();
    const [first, second] = await Promise.all([pay(inv.paymentRequest), pay(inv.paymentRequest)]);
    const third = await pay(inv.paymentRequest);
    for (const r of [first, second, third]) expect(r).toEqual(first);
    expect(first.status).toBe('succeeded');
    expect((await alice.getBalances()).channelLocalMsat).toBe(before.channelLocalMsat - 50_000n - fee(50_000n));
    await expect(bob.lookupInvoice(inv.paymentHash)).resolves.toMatchObject({ receivedMsat: 50_000n });
  });

  it('maps payment failures to reasons: no route, insufficient balance, injected failures, expiry', async () => {
    await expect(pay(foreignRequest())).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });

    const tooBig = await bob.createInvoice({ amountMsat: 9_000_000_000n, expirySeconds: 600 });
    await expect(pay(tooBig.paymentRequest)).resolves.toMatchObject({ status: 'failed', reason: 'insufficient_balance' });

    const inv = await bob.createInvoice({ amountMsat: 1000n, expirySeconds: 600 });
    await expect(alice.payInvoice({ paymentRequest: inv.paymentRequest, maxFeeMsat: 0n, timeoutSeconds: 5 }))
      .resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
    aliceNode.state.failNextPayment('FAILURE_REASON_TIMEOUT');
    await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'failed', reason: 'timeout' });
    // a failed payment may be tried again, and then succeeds
    await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'succeeded' });

    const expired = foreignRequest({ key: bobNode.state.secretKey, createdAt: Math.floor(Date.now() / 1000) - 7200 });
    expect(await codeOf(pay(expired))).toBe('expired');
  });

  it('reports a hung payment as pending, refuses to send it again, and tracks it to completion', async () => {
    const inv = await bob.createInvoice({ amountMsat: 70_000n, expirySeconds: 600 });
    aliceNode.state.hangNextPayment();
    await expect(pay(inv.paymentRequest, { timeoutSeconds: 1 })).resolves.toEqual({ status: 'pending', paymentHash: inv.paymentHash });
    expect(aliceNode.state.hungPayments()).toEqual([inv.paymentHash]);
    await expect(alice.lookupPayment(inv.paymentHash)).resolves.toEqual({ status: 'pending', paymentHash: inv.paymentHash });
    await expect(pay(inv.paymentRequest, { timeoutSeconds: 1 })).resolves.toEqual({ status: 'pending', paymentHash: inv.paymentHash });

    aliceNode.state.releasePayment(inv.paymentHash, 'succeed');
    await expect.poll(() => alice.lookupPayment(inv.paymentHash)).toMatchObject({ status: 'succeeded', amountMsat: 70_000n, feeMsat: fee(70_000n) });
    await expect(bob.lookupInvoice(inv.paymentHash)).resolves.toMatchObject({ state: 'settled', receivedMsat: 70_000n });

    const later = await bob.createInvoice({ amountMsat: 80_000n, expirySeconds: 600 });
    aliceNode.state.hangNextPayment();
    const waiting = pay(later.paymentRequest, { timeoutSeconds: 10 });
    await expect.poll(() => aliceNode.state.hungPayments()).toEqual([later.paymentHash]);
    aliceNode.state.releasePayment(later.paymentHash, 'fail');
    await expect(waiting).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
    await expect(bob.lookupInvoice(later.paymentHash)).resolves.toMatchObject({ state: 'open' });
  });

  it('dates failures: one begun before `sentSince` is an earlier payment of the hash (unknown); a failed hash sent again is a new payment', async () => {
    const inv = await bob.createInvoice({ amountMsat: 3000n, expirySeconds: 600 });
    const tick = () => new Promise((r) => setTimeout(r, 5)); // the node dates payments by the millisecond
    const before = new Date();
    await tick();
    aliceNode.state.failNextPayment('FAILURE_REASON_NO_ROUTE');
    await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
    const firstIndex = aliceNode.state.lookupPayment(Buffer.from(inv.paymentHash, 'hex')).index;
    await tick();
    const resent = new Date();
    await expect(alice.lookupPayment(inv.paymentHash)).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
    await expect(alice.lookupPayment(inv.paymentHash, before)).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
    await expect(alice.lookupPayment(inv.paymentHash, resent)).resolves.toEqual({ status: 'unknown', paymentHash: inv.paymentHash });
    // Found behind more newer payments than one page of ListPayments holds (250).
    const newer: string[] = [];
    for (let i = 0; i < 10; i++) {
      newer.push(...(await Promise.all(Array.from({ length: 26 }, () => pay(foreignRequest(), { timeoutSeconds: 60 })))).map((p) => p.status));
    }
    expect(newer).toEqual(Array(260).fill('failed'));
    await expect(alice.lookupPayment(inv.paymentHash, before)).resolves.toMatchObject({ status: 'failed' });

    aliceNode.state.failNextPayment('FAILURE_REASON_TIMEOUT');
    await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'failed', reason: 'timeout' });
    expect(aliceNode.state.lookupPayment(Buffer.from(inv.paymentHash, 'hex')).index).toBeGreaterThan(firstIndex);
    await expect(alice.lookupPayment(inv.paymentHash, resent)).resolves.toMatchObject({ status: 'failed', reason: 'timeout' });
    await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'succeeded' });
    await expect(alice.lookupPayment(inv.paymentHash, new Date(Date.now() + 60_000))).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('knows nothing of payments and invoices it never saw', async () => {
    const hash = sha256(preimage());
    await expect(alice.lookupPayment(hash)).resolves.toEqual({ status: 'unknown', paymentHash: hash });
    await expect(alice.lookupInvoice(hash)).resolves.toBeUndefined();
    expect(await codeOf(alice.lookupPayment('nothex'))).toBe('invalid_request');
  });

  it('sends keysend payments idempotently by preimage, and fails unknown destinations with no_route', async () => {
    const secret = preimage();
    const req = { destination: bobNode.pubkey, amountMsat: 5_000n, maxFeeMsat: 10_000n, timeoutSeconds: 5, preimage: secret, tlvRecords: { '34349334': Buffer.from('hi').toString('hex') } };
    const before = await alice.getBalances();
    const first = await alice.keysend(req);
    expect(first).toMatchObject({ status: 'succeeded', paymentHash: sha256(secret), preimage: secret, amountMsat: 5_000n, feeMsat: fee(5_000n) });
    await expect(alice.keysend(req)).resolves.toEqual(first);
    expect((await alice.getBalances()).channelLocalMsat).toBe(before.channelLocalMsat - 5_000n - fee(5_000n));
    await expect(bob.lookupInvoice(sha256(secret))).resolves.toMatchObject({ state: 'settled', receivedMsat: 5_000n, paymentRequest: '' });

    const nowhere = Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)).toString('hex');
    await expect(alice.keysend({ ...req, destination: nowhere, preimage: preimage() })).resolves.toMatchObject({ status: 'failed', reason: 'no_route' });
  });

  it('streams settlements and replays those missed while unsubscribed, in settle-index order', async () => {
    const payNew = async (amountMsat: bigint) => {
      const inv = await bob.createInvoice({ amountMsat, expirySeconds: 600 });
      await expect(pay(inv.paymentRequest)).resolves.toMatchObject({ status: 'succeeded' });
      return inv.paymentHash;
    };
    const live = collect(bob, 0n);
    // index 0 replays nothing (lnd's rule): only what settles from now on arrives
    const h1 = await payNew(1_001_000n);
    await expect.poll(() => live.updates.map((u) => u.paymentHash)).toEqual([h1]);
    const cursor = live.updates[0]!.settleIndex!;
    live.close();

    const missed = [await payNew(1_002_000n), await payNew(1_003_000n)];
    let running = 0;
    let overlapped = false;
    const resumed: Invoice[] = [];
    const sub = bob.subscribeInvoices(cursor, async (i) => {
      overlapped ||= running++ > 0;
      await new Promise((r) => setImmediate(r));
      resumed.push(i);
      running--;
    }, (e) => { throw e; });
    await expect.poll(() => resumed.map((u) => u.paymentHash)).toEqual(missed);
    expect(resumed.map((u) => u.settleIndex)).toEqual([cursor + 1n, cursor + 2n]);
    expect(resumed.map((u) => [u.state, u.receivedMsat])).toEqual([['settled', 1_002_000n], ['settled', 1_003_000n]]);
    const h4 = await payNew(1_004_000n);
    await expect.poll(() => resumed.map((u) => u.paymentHash)).toEqual([...missed, h4]);
    expect(overlapped).toBe(false);
    sub.close();
  });

  it('runs hold invoices through accepted to settled or canceled, on the stream too', async () => {
    const stream = collect(bob, 0n);
    const secret = preimage();
    const hold = await bob.createHoldInvoice({ paymentHash: sha256(secret), amountMsat: 30_000n, description: 'escrow', expirySeconds: 600 });
    expect(hold).toMatchObject({ state: 'open', isHold: true, preimage: undefined, amountMsat: 30_000n });
    expect(await codeOf(bob.settleHoldInvoice(secret))).toBe('invalid_request'); // nothing accepted yet

    await expect(pay(hold.paymentRequest, { timeoutSeconds: 1 })).resolves.toMatchObject({ status: 'pending' });
    await expect.poll(() => bob.lookupInvoice(hold.paymentHash)).toMatchObject({ state: 'accepted', receivedMsat: 30_000n, isHold: true });
    await expect.poll(() => stream.updates.map((u) => [u.paymentHash, u.state])).toEqual([[hold.paymentHash, 'accepted']]);

    await bob.settleHoldInvoice(secret);
    await bob.settleHoldInvoice(secret); // lnd: settling again succeeds
    await expect.poll(() => alice.lookupPayment(hold.paymentHash)).toMatchObject({ status: 'succeeded', preimage: secret });
    await expect.poll(() => stream.updates.map((u) => u.state)).toEqual(['accepted', 'settled']);
    expect(stream.updates[1]).toMatchObject({ preimage: secret, receivedMsat: 30_000n, settleIndex: expect.any(BigInt) });
    expect(await codeOf(bob.cancelHoldInvoice(hold.paymentHash))).toBe('invalid_request');

    const other = preimage();
    const canceled = await bob.createHoldInvoice({ paymentHash: sha256(other), amountMsat: 40_000n, expirySeconds: 600, cltvExpiry: 144 });
    await expect(pay(canceled.paymentRequest, { timeoutSeconds: 1 })).resolves.toMatchObject({ status: 'pending' });
    await expect.poll(() => stream.updates.length).toBe(3);
    await bob.cancelHoldInvoice(canceled.paymentHash);
    await expect.poll(() => alice.lookupPayment(canceled.paymentHash)).toMatchObject({ status: 'failed', reason: 'incorrect_payment_details' });
    await expect.poll(() => stream.updates.slice(2).map((u) => u.state)).toEqual(['accepted', 'canceled']);
    expect(stream.errors).toEqual([]);
    stream.close();

    expect(await codeOf(bob.settleHoldInvoice(preimage()))).toBe('not_found');
    expect(await codeOf(bob.createHoldInvoice({ paymentHash: hold.paymentHash, expirySeconds: 60 }))).toBe('duplicate');
  });

  it('finds hold invoices accepted while nobody was subscribed', async () => {
    const secret = preimage();
    const hold = await bob.createHoldInvoice({ paymentHash: sha256(secret), amountMsat: 12_000n, expirySeconds: 600 });
    await expect(pay(hold.paymentRequest, { timeoutSeconds: 1 })).resolves.toMatchObject({ status: 'pending' });
    const stream = collect(bob, 0n);
    await expect.poll(() => stream.updates.map((u) => [u.paymentHash, u.state])).toEqual([[hold.paymentHash, 'accepted']]);
    await bob.cancelHoldInvoice(hold.paymentHash);
    await expect.poll(() => stream.updates.map((u) => u.state)).toEqual(['accepted', 'canceled']);
    stream.close();
  });

  it('is refused with a wrong macaroon, and reports an unreachable node as unavailable', async () => {
    const wrong = connect(aliceNode, sim.certBase64, bobNode.macaroon);
    const err = await wrong.getInfo().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(LightningError);
    expect(String(err)).toMatch(/verification failed: signature mismatch/);
    await wrong.close();
    const anonymous = authenticatedLndGrpc({ cert: sim.certBase64, socket: aliceNode.socket }).lnd;
    await expect(getWalletInfo({ lnd: anonymous })).rejects.toMatchObject([503, 'GetWalletInfoErr', { err: { details: 'expected 1 macaroon, got 0' } }]);

    const down = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: `127.0.0.1:${await freePort()}`, LND_CERT: sim.certBase64, LND_MACAROON: aliceNode.macaroon });
    expect(await codeOf(down.getInfo())).toBe('unavailable');
    await down.close();
  });

  it('takes the certificate as wrapped base64 and the macaroon as base64', async () => {
    const wrapped = sim.certBase64.replace(/(.{76})/g, '$1\n');
    const backend = connect(aliceNode, wrapped, Buffer.from(aliceNode.macaroon, 'hex').toString('base64'));
    await expect(backend.getInfo()).resolves.toMatchObject({ alias: 'alice' });
    await backend.close();
  });

  it('refuses a configuration without macaroon or with an unreadable certificate', () => {
    expect(() => createLndBackend({ NETWORK: 'regtest', LND_SOCKET: aliceNode.socket, LND_CERT: sim.certBase64, LND_MACAROON: undefined })).toThrow(ConfigError);
    expect(() => createLndBackend({ NETWORK: 'regtest', LND_SOCKET: aliceNode.socket, LND_CERT: '/no/such/tls.cert', LND_MACAROON: aliceNode.macaroon })).toThrow(ConfigError);
  });
});
