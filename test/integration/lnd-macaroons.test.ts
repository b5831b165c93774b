// LND's macaroons against the stand-in, through the real `lightning` client and the adapter:
// a read-only or invoice-only macaroon is refused where lnd refuses it ("permission denied"),
// caveats (time-before, ipaddr) are enforced, and the adapter reports each refusal as lnd
// rejecting its credentials: never as a request-level error, never as a failed payment.
import { authenticatedLndGrpc, createInvoice } from 'lightning';
import { importMacaroon } from 'macaroon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLndBackend, type LndBackend } from '../../workers/lightning/lnd.ts';
import { LightningError } from '../../workers/lightning/port.ts';
import { defaultMacaroons } from '../sims/lnd/macaroons.ts';
import { startLndSim, type LndSim, type LndSimNode } from '../sims/lnd/sim.ts';

let sim: LndSim;
let aliceNode: LndSimNode;
let bobNode: LndSimNode;
let bob: LndBackend;
const opened: LndBackend[] = [];

/** The adapter on alice with `macaroon` (hex). */
function aliceWith(macaroon: string | Buffer): LndBackend {
  const backend = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: aliceNode.socket, LND_CERT: sim.certBase64, LND_MACAROON: Buffer.isBuffer(macaroon) ? macaroon.toString('hex') : macaroon });
  opened.push(backend);
  return backend;
}
const bake = (ops: string[], caveats: string[] = []) => aliceNode.state.macaroons.bake(ops, caveats);

/** How a call ended: resolved, a LightningError's code, or the message of any other error. */
const outcome = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof LightningError ? `LightningError ${e.code}` : (e as Error).message));
const denied = 'lnd rejected the credentials: permission denied';

beforeAll(async () => {
  sim = await startLndSim();
  aliceNode = sim.node('alice');
  bobNode = sim.node('bob');
  bob = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: bobNode.socket, LND_CERT: sim.certBase64, LND_MACAROON: bobNode.macaroon });
  opened.push(bob);
});
afterAll(async () => {
  for (const b of opened) await b.close();
  await sim?.close();
});

const bobInvoice = async () => (await bob.createInvoice({ amountMsat: 5000n, description: 'macaroons', expirySeconds: 600 })).paymentRequest;

describe('the macaroons lnd writes', () => {
  it('readonly.macaroon reads, and is refused every write with "permission denied" as lnd sends it', async () => {
    const readonly = aliceWith(aliceNode.readonlyMacaroon);
    await expect(readonly.getInfo()).resolves.toMatchObject({ alias: 'alice' });
    await expect(readonly.getBalances()).resolves.toMatchObject({ onchainConfirmedSat: 1_000_000n });
    expect(await outcome(readonly.createInvoice({ amountMsat: 1000n, description: 'x', expirySeconds: 60 }))).toBe(denied);

    // On the wire: a plain (UNKNOWN) gRPC error whose text is lnd's.
    const { lnd } = authenticatedLndGrpc({ cert: sim.certBase64, socket: aliceNode.socket, macaroon: aliceNode.readonlyMacaroon });
    expect(await createInvoice({ lnd, tokens: 1 }).catch((e: unknown) => e)).toMatchObject([503, expect.any(String), { err: { code: 2, details: 'permission denied' } }]);

    // A payment it may not send is not sent, and is not reported failed (nothing to refund on a guess).
    const before = aliceNode.state.payments.size;
    expect(await outcome(readonly.payInvoice({ paymentRequest: await bobInvoice(), maxFeeMsat: 10_000n, timeoutSeconds: 5 }))).toBe(denied);
    expect(aliceNode.state.payments.size).toBe(before);
  });

  it('invoice.macaroon makes and looks up invoices, and may neither pay nor read the node', async () => {
    const invoices = aliceWith(aliceNode.invoiceMacaroon);
    const inv = await invoices.createInvoice({ amountMsat: 2000n, description: 'tip', expirySeconds: 600 });
    await expect(invoices.lookupInvoice(inv.paymentHash)).resolves.toMatchObject({ paymentHash: inv.paymentHash, state: 'open' });
    expect(await outcome(invoices.getInfo())).toBe(denied);
    expect(await outcome(invoices.getBalances())).toBe(denied);

    // Neither send nor track is allowed: the outcome is unknown to the adapter, so it stays pending.
    const before = aliceNode.state.payments.size;
    await expect(invoices.payInvoice({ paymentRequest: await bobInvoice(), maxFeeMsat: 10_000n, timeoutSeconds: 5 })).resolves.toMatchObject({ status: 'pending' });
    expect(aliceNode.state.payments.size).toBe(before);
  });

  it('admin.macaroon may do all of it', async () => {
    const admin = aliceWith(aliceNode.macaroon);
    await expect(admin.payInvoice({ paymentRequest: await bobInvoice(), maxFeeMsat: 10_000n, timeoutSeconds: 5 })).resolves.toMatchObject({ status: 'succeeded' });
  });
});

describe('baked macaroons (lncli bakemacaroon)', () => {
  it('grant exactly their ops, or single methods by uri', async () => {
    const payer = aliceWith(bake(['offchain:read', 'offchain:write']));
    await expect(payer.payInvoice({ paymentRequest: await bobInvoice(), maxFeeMsat: 10_000n, timeoutSeconds: 5 })).resolves.toMatchObject({ status: 'succeeded' });
    expect(await outcome(payer.createInvoice({ amountMsat: 1000n, description: 'x', expirySeconds: 60 }))).toBe(denied);

    const infoOnly = aliceWith(bake(['uri:/lnrpc.Lightning/GetInfo']));
    await expect(infoOnly.getInfo()).resolves.toMatchObject({ alias: 'alice' });
    expect(await outcome(infoOnly.getBalances())).toBe(denied);
  });

  it('hold to their caveats: time-before and ipaddr', async () => {
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const past = new Date(Date.now() - 1000).toISOString();
    await expect(aliceWith(bake(defaultMacaroons.readonly, [`time-before ${soon}`])).getInfo()).resolves.toMatchObject({ alias: 'alice' });
    expect(await outcome(aliceWith(bake(defaultMacaroons.readonly, [`time-before ${past}`])).getInfo()))
      .toBe(`lnd rejected the credentials: caveat "time-before ${past}" not satisfied: macaroon has expired`);

    await expect(aliceWith(bake(defaultMacaroons.readonly, ['ipaddr 127.0.0.1'])).getInfo()).resolves.toMatchObject({ alias: 'alice' });
    expect(await outcome(aliceWith(bake(defaultMacaroons.readonly, ['ipaddr 192.0.2.7'])).getInfo()))
      .toBe('lnd rejected the credentials: caveat "ipaddr 192.0.2.7" not satisfied: macaroon locked to different IP address');
    expect(await outcome(aliceWith(bake(defaultMacaroons.readonly, ['tomorrow maybe'])).getInfo()))
      .toBe('lnd rejected the credentials: caveat "tomorrow maybe" not satisfied: caveat not recognized');
  });

  it('cannot be widened: the admin ops under the read-only signature, or another node\'s root key, fail verification', async () => {
    const readonly = importMacaroon(new Uint8Array(Buffer.from(aliceNode.readonlyMacaroon, 'hex')));
    const admin = importMacaroon(new Uint8Array(aliceNode.state.macaroon));
    const widened = importMacaroon({ v: 2, l: 'lnd', i64: Buffer.from(admin.identifier).toString('base64url'), s64: Buffer.from(readonly.signature).toString('base64url'), c: [] });
    const mismatch = 'lnd rejected the credentials: verification failed: signature mismatch after caveat verification';
    expect(await outcome(aliceWith(Buffer.from(widened.exportBinary())).createInvoice({ amountMsat: 1000n, description: 'x', expirySeconds: 60 }))).toBe(mismatch);
    expect(await outcome(aliceWith(bobNode.readonlyMacaroon).getInfo())).toBe(mismatch);
  });
});
