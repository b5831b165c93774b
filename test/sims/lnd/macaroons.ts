// LND's macaroons, baked and checked as lnd does (macaroons/service.go on macaroon-bakery): a V2
// binary macaroon whose identifier is bakery's version byte (3) and a protobuf MacaroonId
// {nonce, storageId, ops} naming the entity:action pairs it grants; first-party caveats
// (time-before, ipaddr) narrow it. Each RPC needs its pairs from lnd's permission map, or the
// op uri:<full method>; a macaroon without them is refused with "permission denied".
import { randomBytes } from 'node:crypto';
import { importMacaroon, newMacaroon, type Macaroon } from 'macaroon';
import protobuf from 'protobufjs';
import { lndErrors } from './errors.ts';

const { root } = protobuf.parse(`syntax = "proto3";
  message Op { string entity = 1; repeated string actions = 2; }
  message MacaroonId { bytes nonce = 1; bytes storageId = 2; repeated Op ops = 3; }`);
const MacaroonId = root.lookupType('MacaroonId');
interface MacaroonIdMessage { nonce: Uint8Array; storageId: Uint8Array; ops: Array<{ entity: string; actions: string[] }> }

/** bakery.LatestVersion: the first byte of every identifier lnd bakes. */
const ID_VERSION = 3;
/** lnd's DefaultRootKeyID. */
const ROOT_KEY_ID = Buffer.from('0');

/** What each RPC the stand-in serves needs (lnd's rpcserver.go, invoicesrpc, routerrpc). */
export const permissions: Record<string, string[]> = {
  '/lnrpc.Lightning/GetInfo': ['info:read'],
  '/lnrpc.Lightning/AddInvoice': ['invoices:write'],
  '/lnrpc.Lightning/LookupInvoice': ['invoices:read'],
  '/lnrpc.Lightning/ListInvoices': ['invoices:read'],
  '/lnrpc.Lightning/SubscribeInvoices': ['invoices:read'],
  '/lnrpc.Lightning/DecodePayReq': ['offchain:read'],
  '/lnrpc.Lightning/ListPayments': ['offchain:read'],
  '/lnrpc.Lightning/ChannelBalance': ['offchain:read'],
  '/lnrpc.Lightning/WalletBalance': ['onchain:read'],
  '/invoicesrpc.Invoices/AddHoldInvoice': ['invoices:write'],
  '/invoicesrpc.Invoices/SettleInvoice': ['invoices:write'],
  '/invoicesrpc.Invoices/CancelInvoice': ['invoices:write'],
  '/invoicesrpc.Invoices/SubscribeSingleInvoice': ['invoices:read'],
  '/routerrpc.Router/SendPaymentV2': ['offchain:write'],
  '/routerrpc.Router/TrackPaymentV2': ['offchain:read'],
};

// The three macaroons lnd writes at start-up (admin, readonly, invoice), by their ops.
const readOps = ['onchain', 'offchain', 'address', 'message', 'peers', 'info', 'invoices', 'signer', 'macaroon'].map((e) => `${e}:read`);
const writeOps = [...['onchain', 'offchain', 'address', 'message', 'peers', 'info', 'invoices'].map((e) => `${e}:write`),
  'signer:generate', 'macaroon:generate', 'macaroon:write'];
export const defaultMacaroons = {
  admin: [...readOps, ...writeOps],
  readonly: readOps,
  invoice: ['invoices:read', 'invoices:write', 'address:read', 'address:write', 'onchain:read'],
};

/** Why a first-party caveat does not hold for this call, or null (bakery's checkers and lnd's ipaddr). */
function unmet(condition: string, peerIp: string): string | null {
  const [name, arg = ''] = condition.split(/ (.*)/s);
  switch (name) {
    case 'time-before': {
      const until = Date.parse(arg);
      if (Number.isNaN(until)) return `parsing time ${JSON.stringify(arg)}`;
      return Date.now() >= until ? 'macaroon has expired' : null;
    }
    case 'ipaddr':
      return arg === peerIp ? null : 'macaroon locked to different IP address';
    default:
      return 'caveat not recognized';
  }
}

/** One node's root key: bakes macaroons and checks each call's macaroon against it. */
export class MacaroonService {
  readonly #rootKey = randomBytes(32);

  /** A macaroon granting `ops` ("entity:action"), narrowed by first-party `caveats`, in V2 binary. */
  bake(ops: string[], caveats: string[] = []): Buffer {
    const byEntity = new Map<string, string[]>();
    for (const o of ops) {
      const [entity, action] = o.split(/:(.*)/s) as [string, string];
      byEntity.set(entity, [...(byEntity.get(entity) ?? []), action]);
    }
    const id = MacaroonId.encode(MacaroonId.create({
      nonce: randomBytes(16), storageId: ROOT_KEY_ID, ops: [...byEntity].map(([entity, actions]) => ({ entity, actions })),
    })).finish();
    const mac = newMacaroon({ version: 2, rootKey: this.#rootKey, identifier: Buffer.concat([Buffer.from([ID_VERSION]), id]), location: 'lnd' });
    for (const c of caveats) mac.addFirstPartyCaveat(c);
    return Buffer.from(mac.exportBinary());
  }

  /** lnd's CheckMacAuth: throws lnd's error unless the macaroon (hex, from the call's metadata) may call `fullMethod`. */
  check(macaroonHex: string, fullMethod: string, peerIp: string): void {
    if (!/^([0-9a-f]{2})*$/i.test(macaroonHex)) throw lndErrors.macaroonNotHex();
    let mac: Macaroon;
    try {
      mac = importMacaroon(new Uint8Array(Buffer.from(macaroonHex, 'hex')));
    } catch (err) {
      throw lndErrors.macaroonUnreadable((err as Error).message);
    }
    const id = Buffer.from(mac.identifier);
    if (id[0] !== ID_VERSION) throw lndErrors.macaroonInvalidId();
    const conditions: string[] = [];
    let granted: Set<string>;
    try {
      const { ops } = MacaroonId.toObject(MacaroonId.decode(id.subarray(1)), { arrays: true }) as MacaroonIdMessage;
      granted = new Set(ops.flatMap((o) => o.actions.map((a) => `${o.entity}:${a}`)));
      mac.verify(this.#rootKey, (condition) => { conditions.push(condition); return null; });
    } catch {
      throw lndErrors.macaroonMismatch();
    }
    const needed = permissions[fullMethod];
    if (!needed?.every((o) => granted.has(o)) && !granted.has(`uri:${fullMethod}`)) throw lndErrors.permissionDenied();
    for (const c of conditions) {
      const why = unmet(c, peerIp);
      if (why) throw lndErrors.caveatNotSatisfied(c, why);
    }
  }
}
