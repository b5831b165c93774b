// The gRPC face of one simulated node: lnrpc.Lightning, invoicesrpc.Invoices and
// routerrpc.Router from the .proto files the `lightning` package ships, over TLS, each call
// checked against the node's macaroons (its permissions and caveats, macaroons.ts). Only the RPCs the LND adapter uses are implemented;
// the rest answer UNIMPLEMENTED, as a node without that subserver would.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { parseRequest } from './bolt11.ts';
import { lndErrors, RpcError } from './errors.ts';
import { channelBalanceMessage, features, invoiceMessage, paymentMessage, recordKey } from './messages.ts';
import { blockHeight, type SimInvoice, type SimNode, type SimPayment } from './node.ts';

// Options as the `lightning` client loads the same files: snake_case, enums and int64 as strings.
const loaderOptions = { defaults: true, enums: String, keepCase: true, longs: String, oneofs: true };
const protosDir = path.join(path.dirname(createRequire(import.meta.url).resolve('lightning')), 'grpc', 'protos');

/* eslint-disable @typescript-eslint/no-explicit-any -- request/response shapes come from the .proto files at run time */
type Req = Record<string, any>;
type Stream = grpc.ServerWritableStream<Req, unknown>;

function loadService(file: string, pkg: string, service: string): grpc.ServiceDefinition {
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(protosDir, file), { ...loaderOptions, includeDirs: [protosDir] }));
  return (def[pkg] as any)[service].service;
}

const int = (v: unknown) => BigInt(String(v || '0'));
const bytes = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));
const terminal = (p: SimPayment) => p.status === 'SUCCEEDED' || p.status === 'FAILED';

/** lnd's UnmarshallAmt: at most one of the sat and msat fields. */
function msat(satField: unknown, msatField: unknown): bigint {
  const [s, m] = [int(satField), int(msatField)];
  if (s && m) throw lndErrors.satMsatExclusive();
  return m || s * 1000n;
}

function customRecords(records: Record<string, Buffer> | undefined): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(records ?? {}).map(([k, v]) => [recordKey(k), v]));
}

/** The address of a gRPC peer ("127.0.0.1:5000", "[::1]:5000", "ipv4:…"), without its port. */
const peerIp = (peer: string) => peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

export function createNodeServer(node: SimNode): grpc.Server {
  const authorize = (call: grpc.ServerUnaryCall<Req, unknown> | Stream) => {
    const macaroons = call.metadata.get('macaroon');
    if (macaroons.length !== 1) throw lndErrors.macaroonCount(macaroons.length);
    node.macaroons.check(String(macaroons[0]), call.getPath(), peerIp(call.getPeer()));
  };
  const asError = (err: unknown) => (err instanceof RpcError ? err : new RpcError(grpc.status.UNKNOWN, (err as Error).message));
  const unary = (fn: (req: Req) => object) => (call: grpc.ServerUnaryCall<Req, unknown>, done: grpc.sendUnaryData<unknown>) => {
    try {
      authorize(call);
      done(null, fn(call.request));
    } catch (err) {
      done(asError(err));
    }
  };
  const stream = (fn: (call: Stream) => void) => (call: Stream) => {
    try {
      authorize(call);
      fn(call);
    } catch (err) {
      call.emit('error', asError(err));
    }
  };
  /** Writes payment updates for one hash until it is final, then ends the stream. */
  const followPayment = (call: Stream, payment: SimPayment, finalOnly: boolean) => {
    const send = (p: SimPayment) => {
      if (p.hash !== payment.hash || (finalOnly && !terminal(p))) return;
      call.write(paymentMessage(p));
      if (terminal(p)) {
        node.paymentListeners.delete(send);
        call.end();
      }
    };
    node.paymentListeners.add(send);
    call.on('cancelled', () => node.paymentListeners.delete(send));
    send(payment);
  };
  const followInvoices = (call: Stream, filter: (i: SimInvoice) => boolean, untilFinal: boolean) => {
    const send = (i: SimInvoice) => {
      if (!filter(i)) return;
      call.write(invoiceMessage(i));
      if (untilFinal && (i.state === 'SETTLED' || i.state === 'CANCELED')) {
        node.invoiceListeners.delete(send);
        call.end();
      }
    };
    node.invoiceListeners.add(send);
    call.on('cancelled', () => node.invoiceListeners.delete(send));
    return send;
  };
  const invoiceArgs = (req: Req) => ({
    memo: String(req.memo ?? ''),
    valueMsat: msat(req.value, req.value_msat),
    descriptionHash: bytes(req.description_hash),
    expiry: Number(req.expiry),
    cltvExpiry: Number(req.cltv_expiry),
  });

  const server = new grpc.Server();
  server.addService(loadService('lightning.proto', 'lnrpc', 'Lightning'), {
    GetInfo: unary(() => ({
      version: '0.19.2-beta commit=flash-sim', commit_hash: 'flash-sim', identity_pubkey: node.pubkey, alias: node.alias,
      color: '#3399ff', num_pending_channels: 0, num_active_channels: 1, num_inactive_channels: 0, num_peers: 1,
      block_height: blockHeight, block_hash: '00'.repeat(32), best_header_timestamp: String(Math.floor(Date.now() / 1000)),
      synced_to_chain: true, synced_to_graph: true, testnet: false, chains: [{ chain: 'bitcoin', network: node.network.name }],
      uris: [], features: features(), wallet_synced: true,
    })),
    AddInvoice: unary((req) => {
      const invoice = node.addInvoice({ ...invoiceArgs(req), preimage: bytes(req.r_preimage) }, false);
      return { r_hash: invoice.hash, payment_request: invoice.paymentRequest, add_index: invoice.addIndex.toString(), payment_addr: invoice.paymentAddr };
    }),
    LookupInvoice: unary((req) => {
      const hash = bytes(req.r_hash).length ? bytes(req.r_hash) : Buffer.from(String(req.r_hash_str), 'hex');
      if (hash.length !== 32) throw lndErrors.hashLength(hash.length);
      return invoiceMessage(node.lookupInvoice(hash));
    }),
    ListInvoices: unary((req) => {
      const invoices = node.listInvoices({ pendingOnly: !!req.pending_only, offset: int(req.index_offset), max: Number(req.num_max_invoices) || 100 });
      return {
        invoices: invoices.map(invoiceMessage),
        first_index_offset: (invoices[0]?.addIndex ?? 0n).toString(),
        last_index_offset: (invoices.at(-1)?.addIndex ?? 0n).toString(),
      };
    }),
    SubscribeInvoices: stream((call) => {
      if (node.invoiceStreamsDown) throw lndErrors.unavailable();
      // the backlog first (adds, then settles), then live adds and settles, as lnd sends them
      for (const i of node.invoicesAddedSince(int(call.request.add_index))) call.write(invoiceMessage(i));
      for (const i of node.invoicesSettledSince(int(call.request.settle_index))) call.write(invoiceMessage(i));
      const send = followInvoices(call, (i) => i.state === 'OPEN' || i.state === 'SETTLED', false);
      const end = () => {
        node.invoiceListeners.delete(send);
        node.invoiceStreamEnds.delete(end);
        call.emit('error', lndErrors.unavailable());
      };
      node.invoiceStreamEnds.add(end);
      call.on('cancelled', () => node.invoiceStreamEnds.delete(end));
    }),
    DecodePayReq: unary((req) => {
      let p;
      try {
        p = parseRequest(String(req.pay_req));
      } catch (err) {
        throw lndErrors.invalidPaymentRequest((err as Error).message);
      }
      if (p.network !== node.network.name) throw lndErrors.wrongNetwork(node.network.name);
      const created = Math.floor(Date.parse(p.created_at) / 1000);
      const mtokens = BigInt(p.mtokens ?? '0');
      return {
        destination: p.destination, payment_hash: p.id, num_satoshis: (mtokens / 1000n).toString(), timestamp: String(created),
        expiry: String(Math.floor(Date.parse(p.expires_at) / 1000) - created), description: p.description ?? '',
        description_hash: p.description_hash ?? '', fallback_addr: '', cltv_expiry: String(p.cltv_delta), route_hints: [],
        payment_addr: p.payment ? Buffer.from(p.payment, 'hex') : Buffer.alloc(0), num_msat: mtokens.toString(),
        features: Object.fromEntries(p.features.map((f) => [f.bit, { name: f.type, is_required: f.is_required, is_known: true }])),
        blinded_paths: [],
      };
    }),
    ListPayments: unary((req) => {
      const payments = node.listPayments({
        incomplete: !!req.include_incomplete, offset: int(req.index_offset), max: Number(req.max_payments), reversed: !!req.reversed,
        start: Number(req.creation_date_start), end: Number(req.creation_date_end),
      });
      return {
        payments: payments.map(paymentMessage),
        first_index_offset: (payments[0]?.index ?? 0n).toString(),
        last_index_offset: (payments.at(-1)?.index ?? 0n).toString(),
        total_num_payments: req.count_total_payments ? node.payments.size.toString() : '0',
      };
    }),
    ChannelBalance: unary(() => channelBalanceMessage(node)),
    WalletBalance: unary(() => {
      const s = node.onchainSat.toString();
      return { total_balance: s, confirmed_balance: s, unconfirmed_balance: '0', locked_balance: '0', reserved_balance_anchor_chan: '0', account_balance: {} };
    }),
  });
  server.addService(loadService('invoices.proto', 'invoicesrpc', 'Invoices'), {
    AddHoldInvoice: unary((req) => {
      const hash = bytes(req.hash);
      if (hash.length !== 32) throw lndErrors.hashLength(hash.length);
      const invoice = node.addInvoice({ ...invoiceArgs(req), hash }, true);
      return { payment_request: invoice.paymentRequest, add_index: invoice.addIndex.toString(), payment_addr: invoice.paymentAddr };
    }),
    SettleInvoice: unary((req) => {
      node.settleHoldInvoice(bytes(req.preimage));
      return {};
    }),
    CancelInvoice: unary((req) => {
      node.cancelInvoice(bytes(req.payment_hash));
      return {};
    }),
    SubscribeSingleInvoice: stream((call) => {
      const hash = bytes(call.request.r_hash);
      if (hash.length !== 32) throw lndErrors.hashLength(hash.length);
      const send = followInvoices(call, (i) => i.hash.equals(hash), true);
      const current = node.invoices.get(hash.toString('hex'));
      if (current) send(current);
    }),
  });
  server.addService(loadService('router.proto', 'routerrpc', 'Router'), {
    SendPaymentV2: stream((call) => {
      const req = call.request;
      const intent = node.paymentIntent({
        request: String(req.payment_request ?? ''), dest: bytes(req.dest), hash: bytes(req.payment_hash),
        amountMsat: msat(req.amt, req.amt_msat), feeLimitMsat: msat(req.fee_limit_sat, req.fee_limit_msat),
        customRecords: customRecords(req.dest_custom_records), finalCltvDelta: Number(req.final_cltv_delta) || 40,
      });
      const send = () => followPayment(call, node.sendPayment(intent), !!req.no_inflight_updates);
      const hold = node.sendHold();
      if (!hold) return send();
      hold.then(send).catch((err: unknown) => call.emit('error', asError(err)));
    }),
    TrackPaymentV2: stream((call) => {
      followPayment(call, node.lookupPayment(bytes(call.request.payment_hash)), !!call.request.no_inflight_updates);
    }),
  });
  return server;
}

export function listen(server: grpc.Server, host: string, tls: { cert: string; key: string }): Promise<number> {
  const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false);
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:0`, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}
