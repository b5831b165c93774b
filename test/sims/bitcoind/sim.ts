// The bitcoind stand-in: the embedded regtest node (workers/onchain/regtest/) served over HTTP
// with Bitcoin Core's JSON-RPC, basic auth and /wallet/<name> routing, plus what tests need on
// top: fault injection (an RPC error for the next calls of a method, a warming-up node), an
// `outside` wallet funded with mature coins that plays the rest of the world, double spends
// and reorgs. Everything the service sees goes through Bitcoin Core's wire protocol.
import { hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import Client from 'bitcoin-core';
import { networks } from '../../../core/onchain/network.ts';
import { RpcError, txOpts } from '../../../workers/onchain/regtest/chain.ts';
import { RegtestNode } from '../../../workers/onchain/regtest/node.ts';
import { startRpcServer, type RpcServer } from '../../../workers/onchain/regtest/rpc-server.ts';

export const SIM_USER = 'flash';
export const SIM_PASSWORD = 'sim-password';

export interface BitcoindSim {
  node: RegtestNode;
  server: RpcServer;
  url: string;
  /** A client of the outside wallet (through bitcoin-core, as any other wallet user). */
  outside: Client;
  /** The next `times` calls of `method` fail with Bitcoin Core's error `code`. */
  fail(method: string, code: number, message: string, times?: number): void;
  /** Every call answers -28 (warming up) until `ready()`. */
  warmUp(): { ready(): void };
  /** Runs `hook` before each call of `method` (to hold a call, or act in between). */
  onCall(method: string, hook: (params: unknown) => void | Promise<void>): void;
  mine(blocks?: number): Promise<string[]>;
  /** The outside wallet pays `address`; returns the txid. */
  send(address: string, sat: bigint): Promise<string>;
  /** The outside wallet replaces its transaction `txid` with one paying itself (a double spend), in the mempool. */
  doubleSpend(txid: string): string;
  /** Disconnects the last `depth` blocks (invalidateblock over RPC) and mines `depth + 1` new ones. */
  reorg(depth: number, opts?: { doubleSpend?: string[] }): Promise<void>;
  close(): Promise<void>;
}

export async function startBitcoindSim(): Promise<BitcoindSim> {
  const node = new RegtestNode(networks.regtest);
  const failures = new Map<string, Array<{ code: number; message: string }>>();
  const hooks = new Map<string, (params: unknown) => void | Promise<void>>();
  let warming = false;
  const server = await startRpcServer(node, {
    user: SIM_USER, password: SIM_PASSWORD,
    before: async (method, params) => {
      if (warming) throw new RpcError(-28, 'Loading wallet…');
      await hooks.get(method)?.(params);
      const f = failures.get(method)?.shift();
      if (f) throw new RpcError(f.code, f.message);
    },
  });
  const client = (wallet?: string) => new Client({ host: server.url, username: SIM_USER, password: SIM_PASSWORD, wallet });
  const outside = client('outside');
  const miner = client();
  await outside.command('createwallet', 'outside');
  const minerAddress = await outside.command('getnewaddress');
  await miner.command('generatetoaddress', 110, minerAddress);
  const w = node.wallets.get('outside')!;

  const sim: BitcoindSim = {
    node, server, url: server.url, outside,
    fail: (method, code, message, times = 1) => failures.set(method, Array.from({ length: times }, () => ({ code, message }))),
    warmUp: () => { warming = true; return { ready: () => { warming = false; } }; },
    onCall: (method, hook) => hooks.set(method, hook),
    mine: async (blocks = 1) => miner.command('generatetoaddress', blocks, minerAddress),
    send: async (address, sat) => outside.command('sendtoaddress', address, (Number(sat) / 1e8).toFixed(8)),
    doubleSpend: (txid) => {
      const t = node.chain.txs.get(txid)!;
      const tx = new btc.Transaction({ ...txOpts, version: 2 });
      let total = 0n;
      for (let i = 0; i < t.tx.inputsLength; i++) {
        const x = t.tx.getInput(i);
        const prev = node.chain.output(hex.encode(x.txid!), x.index!)!;
        const own = w.owns(prev.script);
        if (!own) throw new Error('the outside wallet did not fund this transaction');
        tx.addInput(w.psbtInput({ txid: hex.encode(x.txid!), vout: x.index!, ...prev, depth: 1, own }));
        total += prev.amount;
      }
      tx.addOutput({ script: btc.OutScript.encode(btc.Address(networks.regtest).decode(w.newAddress('wpkh', false))), amount: total - t.fee - 10_000n });
      w.sign(tx);
      tx.finalize();
      return node.chain.accept(hex.encode(tx.extract()));
    },
    reorg: async (depth, opts = {}) => {
      const tip = node.chain.tip.height;
      // invalidateblock is no wallet method: bitcoin-core sends it to `/`, as it should.
      await miner.command('invalidateblock', node.chain.active[tip - depth + 1]!.hash);
      for (const txid of opts.doubleSpend ?? []) sim.doubleSpend(txid);
      await miner.command('generatetoaddress', depth + 1, minerAddress);
    },
    close: () => server.close(),
  };
  return sim;
}
