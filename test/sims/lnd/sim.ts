// The LND stand-in: several simulated regtest nodes in one process, each with its own gRPC
// port, node key, macaroon and state, all joined to one routing hub that charges a small fee.
// One TLS certificate serves every node; it and the macaroons are also written to files, as
// lnd writes tls.cert and admin, readonly and invoice.macaroon (test/sims/lnd/macaroons.ts).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from '@grpc/grpc-js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { defaultMacaroons } from './macaroons.ts';
import { SimNode, type Network } from './node.ts';
import { createNodeServer, listen } from './server.ts';
import { createSelfSignedCert } from './tls.ts';

export interface LndSimOptions {
  /** Node aliases; default alice and bob. */
  aliases?: string[];
  /** Each node's channel to the hub; default 10M sat, half on each side. */
  capacityMsat?: bigint;
  localMsat?: bigint;
  onchainSat?: bigint;
  /** The hub's fee: base + amount × ppm / 1e6; default 1 sat + 1000 ppm. */
  feeBaseMsat?: bigint;
  feePpm?: bigint;
  host?: string;
}

export interface LndSimNode {
  alias: string;
  pubkey: string;
  /** host:port of this node's gRPC server. */
  socket: string;
  /** admin.macaroon in hex, as LND_MACAROON takes it. */
  macaroon: string;
  macaroonPath: string;
  /** readonly.macaroon and invoice.macaroon in hex (written next to admin.macaroon). */
  readonlyMacaroon: string;
  invoiceMacaroon: string;
  /** The node's state and fault injection (failNextPayment, hangNextPayment, releasePayment). */
  state: SimNode;
}

export interface LndSim {
  network: 'regtest';
  /** PEM of the TLS certificate every node serves; base64 of it as LND_CERT takes it. */
  cert: string;
  certBase64: string;
  certPath: string;
  nodes: LndSimNode[];
  node(alias: string): LndSimNode;
  close(): Promise<void>;
}

export async function startLndSim(opts: LndSimOptions = {}): Promise<LndSim> {
  const host = opts.host ?? '127.0.0.1';
  const capacityMsat = opts.capacityMsat ?? 10_000_000_000n;
  const feeBase = opts.feeBaseMsat ?? 1000n;
  const feePpm = opts.feePpm ?? 1000n;
  const byPubkey = new Map<string, SimNode>();
  const network: Network = {
    name: 'regtest',
    hubPubkey: Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)).toString('hex'),
    node: (pubkey) => byPubkey.get(pubkey),
    routingFee: (amountMsat) => feeBase + (amountMsat * feePpm) / 1_000_000n,
  };
  const tls = createSelfSignedCert([host, 'localhost', '127.0.0.1', '::1'].filter((h, i, all) => all.indexOf(h) === i));
  const dir = await mkdtemp(path.join(tmpdir(), 'flash-lnd-sim-'));
  const certPath = path.join(dir, 'tls.cert');
  await writeFile(certPath, tls.cert);

  const servers: Server[] = [];
  const nodes: LndSimNode[] = [];
  for (const [index, alias] of (opts.aliases ?? ['alice', 'bob']).entries()) {
    const state = new SimNode({ alias, network, index, capacityMsat, localMsat: opts.localMsat ?? capacityMsat / 2n, onchainSat: opts.onchainSat ?? 1_000_000n });
    byPubkey.set(state.pubkey, state);
    const server = createNodeServer(state);
    servers.push(server);
    const port = await listen(server, host, tls);
    const macaroonPath = path.join(dir, alias, 'admin.macaroon');
    await mkdir(path.dirname(macaroonPath));
    await writeFile(macaroonPath, state.macaroon);
    const [readonly, invoice] = [state.macaroons.bake(defaultMacaroons.readonly), state.macaroons.bake(defaultMacaroons.invoice)];
    await writeFile(path.join(dir, alias, 'readonly.macaroon'), readonly);
    await writeFile(path.join(dir, alias, 'invoice.macaroon'), invoice);
    nodes.push({
      alias, pubkey: state.pubkey, socket: `${host.includes(':') ? `[${host}]` : host}:${port}`, macaroon: state.macaroon.toString('hex'), macaroonPath,
      readonlyMacaroon: readonly.toString('hex'), invoiceMacaroon: invoice.toString('hex'), state,
    });
  }

  return {
    network: 'regtest',
    cert: tls.cert,
    certBase64: Buffer.from(tls.cert).toString('base64'),
    certPath,
    nodes,
    node(alias) {
      const found = nodes.find((n) => n.alias === alias);
      if (!found) throw new Error(`no simulated node ${alias}`);
      return found;
    },
    async close() {
      for (const n of nodes) n.state.close();
      for (const s of servers) s.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
