// The embedded on-chain backend (ONCHAIN_BACKEND=embedded, regtest only): a RegtestNode in the
// workers process serving Bitcoin Core's RPC on a free loopback port, written with a cookie to
// DATA_DIR/regtest (rpc.url, .cookie), so the service drives it through the same adapter as
// Bitcoin Core and `flash dev mine|send-to-address|address|reorg` reach it the same way. Its chain and wallets
// are kept in DATA_DIR/regtest/chain.json, written after each change. An `outside` wallet plays
// the rest of the world (funded with mined coins at first start).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import type { Config } from '../../core/config.ts';
import { networks } from '../../core/onchain/network.ts';
import { BitcoindChain } from './bitcoind.ts';
import { RegtestNode } from './regtest/node.ts';
import { startRpcServer, type RpcServer } from './regtest/rpc-server.ts';

export const OUTSIDE_WALLET = 'outside';

interface SavedState {
  blocks: Array<{ hash: string; prev: string; time: number; txs: string[]; valid: boolean }>;
  mempool: string[];
  wallets: Array<{ name: string; seed?: string; disablePrivateKeys: boolean; loaded: boolean; locked: string[];
    descriptors: Array<{ desc: string; active: boolean; internal: boolean; rangeEnd: number; nextIndex: number; timestamp: number }> }>;
}

function saveState(node: RegtestNode): SavedState {
  const c = node.chain;
  const blocks = [...c.blocks.values()].filter((b) => b.height > 0).sort((a, b) => a.height - b.height)
    .map((b) => ({ hash: b.hash, prev: b.prev, time: b.time, txs: b.txids.map((id) => c.txs.get(id)!.hex), valid: !c.invalid.has(b.hash) }));
  return {
    blocks,
    mempool: [...c.mempool.values()].map((t) => t.hex),
    wallets: [...node.wallets.values()].map((w) => ({
      name: w.name, seed: w.seed && hex.encode(w.seed), disablePrivateKeys: w.privateKeysDisabled, loaded: node.loaded.has(w.name), locked: [...w.locked],
      descriptors: w.descriptors.map((d) => ({ desc: d.desc, active: d.active, internal: d.internal, rangeEnd: d.rangeEnd, nextIndex: d.nextIndex, timestamp: d.timestamp })),
    })),
  };
}

function restoreState(node: RegtestNode, s: SavedState): void {
  for (const w of s.wallets) {
    const wallet = node.createWallet(w.name, { disablePrivateKeys: w.disablePrivateKeys, blank: !w.seed, seed: w.seed ? hex.decode(w.seed) : undefined });
    for (const d of w.descriptors) wallet.importDescriptor(d.desc, { active: d.active, internal: d.internal, rangeEnd: d.rangeEnd, nextIndex: d.nextIndex, timestamp: d.timestamp });
    for (const l of w.locked) wallet.locked.add(l);
    if (!w.loaded) node.loaded.delete(w.name);
  }
  for (const b of s.blocks) node.chain.restoreBlock(b, b.valid);
  for (const raw of s.mempool) { try { node.chain.accept(raw, 0); } catch { /* conflicted since */ } }
}

export interface EmbeddedNode { node: RegtestNode; server: RpcServer; close(): Promise<void> }

/** Starts the embedded node (refusing any network but regtest). */
export async function startEmbeddedNode(config: Config): Promise<EmbeddedNode> {
  if (config.NETWORK !== 'regtest') throw new Error(`the embedded on-chain node runs only on regtest (NETWORK=${config.NETWORK}); set ONCHAIN_BACKEND=bitcoind`);
  const dir = path.join(config.DATA_DIR, 'regtest');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stateFile = path.join(dir, 'chain.json');
  const node = new RegtestNode(networks.regtest);
  const saved = await readFile(stateFile, 'utf8').then((t) => JSON.parse(t) as SavedState).catch(() => undefined);
  if (saved) restoreState(node, saved);
  if (!node.wallets.has(OUTSIDE_WALLET)) {
    const outside = node.createWallet(OUTSIDE_WALLET);
    node.chain.mine(101, btc.OutScript.encode(btc.Address(networks.regtest).decode(outside.newAddress('wpkh', false))));
  }
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;
  // Writes coalesce: a change made while a write is queued is in that write. Every answer that
  // changed the state waits for its write, so a workers process killed right after (a wallet
  // just created, an address just handed out) finds the same wallet on restart.
  const persist = (): Promise<void> => {
    if (!dirty) {
      dirty = true;
      writing = writing.then(async () => {
        dirty = false;
        const tmp = `${stateFile}.tmp`;
        await writeFile(tmp, JSON.stringify(saveState(node)), { mode: 0o600 });
        await rename(tmp, stateFile);
      }).catch(() => {});
    }
    return writing;
  };
  await persist();
  const password = randomBytes(32).toString('hex');
  const cookie = path.join(dir, '.cookie');
  await writeFile(cookie, `__cookie__:${password}`, { mode: 0o600 });
  const server = await startRpcServer(node, { host: '127.0.0.1', port: 0, user: '__cookie__', password, afterChange: persist });
  await writeFile(path.join(dir, 'rpc.url'), server.url, { mode: 0o600 });
  return { node, server, close: async () => { await server.close(); persist(); await writing; } };
}

/** The cookie file of the embedded node (the default credentials when none are configured). */
export const embeddedCookie = (config: Config) => config.BITCOIND_RPC_COOKIE ?? path.join(config.DATA_DIR, 'regtest', '.cookie');

/** The adapter for the configured node (the embedded one: at the URL its workers process wrote). */
export function chainClient(config: Config): BitcoindChain {
  const embedded = config.ONCHAIN_BACKEND === 'embedded';
  return new BitcoindChain({
    url: embedded ? async () => (await readFile(path.join(config.DATA_DIR, 'regtest', 'rpc.url'), 'utf8')).trim() : config.BITCOIND_RPC_URL, user: config.BITCOIND_RPC_USER, password: config.BITCOIND_RPC_PASSWORD,
    cookieFile: config.BITCOIND_RPC_USER ? undefined : embedded ? embeddedCookie(config) : config.BITCOIND_RPC_COOKIE,
    wallet: config.BITCOIND_WALLET, coldWallet: config.BITCOIND_COLD_WALLET, kind: config.ONCHAIN_BACKEND,
  });
}
