// The embedded regtest node: a Chain and its descriptor wallets behind Bitcoin Core's RPC
// methods (the subset the service and its operators use), with Bitcoin Core's parameter
// names, result shapes and error codes. Served over HTTP by rpc-server.ts; the bitcoind
// stand-in (test/sims/bitcoind) is this node with fault injection.
import { randomBytes } from 'node:crypto';
import { hex, base64 } from '@scure/base';
import * as btc from '@scure/btc-signer';
import { descriptorChecksum, parseDescriptor, publicDescriptor, Deriver } from '../../../core/onchain/descriptor.ts';
import { btcToSat, satToBtc, type ChainNetwork } from '../../../core/onchain/network.ts';
import { Chain, outpoint, RpcError, txOpts, type ChainTx } from './chain.ts';
import { Wallet } from './wallet.ts';

type Params = unknown[];
type Method = (p: Params, wallet: () => Wallet) => unknown;

/** Each method's parameter names, in order (named parameters are mapped onto these). */
export const paramNames: Record<string, string[]> = {
  getblockchaininfo: [], getblockcount: [], getbestblockhash: [], getblockhash: ['height'], getblock: ['blockhash', 'verbosity'],
  getrawtransaction: ['txid', 'verbose', 'blockhash'], sendrawtransaction: ['hexstring', 'maxfeerate', 'maxburnamount'],
  testmempoolaccept: ['rawtxs', 'maxfeerate'], getrawmempool: ['verbose'], getmempoolentry: ['txid'],
  estimatesmartfee: ['conf_target', 'estimate_mode'], getnetworkinfo: [],
  createwallet: ['wallet_name', 'disable_private_keys', 'blank', 'passphrase', 'avoid_reuse', 'descriptors', 'load_on_startup', 'external_signer'],
  loadwallet: ['filename', 'load_on_startup'], unloadwallet: ['wallet_name', 'load_on_startup'], listwallets: [], listwalletdir: [],
  getwalletinfo: [], listdescriptors: ['private'], importdescriptors: ['requests'], keypoolrefill: ['newsize'],
  getnewaddress: ['label', 'address_type'], getrawchangeaddress: ['address_type'], getaddressinfo: ['address'],
  listsinceblock: ['blockhash', 'target_confirmations', 'include_watchonly', 'include_removed', 'include_change', 'label'],
  gettransaction: ['txid', 'include_watchonly', 'verbose'], getbalances: [], getbalance: ['dummy', 'minconf', 'include_watchonly', 'avoid_reuse'],
  listunspent: ['minconf', 'maxconf', 'addresses', 'include_unsafe', 'query_options'],
  lockunspent: ['unlock', 'transactions', 'persistent'], listlockunspent: [],
  walletcreatefundedpsbt: ['inputs', 'outputs', 'locktime', 'options', 'bip32derivs'],
  walletprocesspsbt: ['psbt', 'sign', 'sighashtype', 'bip32derivs', 'finalize'],
  finalizepsbt: ['psbt', 'extract'], combinepsbt: ['txs'], decodepsbt: ['psbt'],
  psbtbumpfee: ['txid', 'options'], bumpfee: ['txid', 'options'],
  sendtoaddress: ['address', 'amount', 'comment', 'comment_to', 'subtractfeefromamount', 'replaceable', 'conf_target', 'estimate_mode', 'avoid_reuse', 'fee_rate', 'verbose'],
  generatetoaddress: ['nblocks', 'address', 'maxtries'], invalidateblock: ['blockhash'],
  validateaddress: ['address'], getdescriptorinfo: ['descriptor'], deriveaddresses: ['descriptor', 'range'],
};

export const walletMethods = new Set(['getwalletinfo', 'listdescriptors', 'importdescriptors', 'keypoolrefill', 'getnewaddress', 'getrawchangeaddress',
  'getaddressinfo', 'listsinceblock', 'gettransaction', 'getbalances', 'getbalance', 'listunspent', 'lockunspent', 'listlockunspent',
  'walletcreatefundedpsbt', 'walletprocesspsbt', 'psbtbumpfee', 'bumpfee', 'sendtoaddress']);

/** An amount in BTC as Core writes it (a JSON number with 8 decimals); see rpc-server.ts' serializer. */
export const AMOUNT_MARK = '@@btc@@';
const amount = (sat: bigint) => `${AMOUNT_MARK}${satToBtc(sat)}`;
const feeRateOf = (o: Record<string, unknown> | undefined, chain: Chain): number => {
  if (o?.fee_rate !== undefined) {
    const r = Number(o.fee_rate);
    if (!Number.isFinite(r) || r < 1) throw new RpcError(-8, 'Invalid parameter, fee_rate must be at least 1 sat/vB');
    return r;
  }
  return chain.feeRate(Number(o?.conf_target ?? 6));
};

export class RegtestNode {
  readonly chain = new Chain();
  readonly network: ChainNetwork;
  /** Wallets that exist ("on disk"), and which are loaded. */
  readonly wallets = new Map<string, Wallet>();
  readonly loaded = new Set<string>();
  private readonly methods: Record<string, Method>;

  constructor(network: ChainNetwork) {
    this.network = network;
    this.chain.listeners.push({ onTransaction: (t) => { for (const w of this.wallets.values()) w.onTransaction(t); } });
    this.methods = this.buildMethods();
  }

  createWallet(name: string, opts: { disablePrivateKeys?: boolean; blank?: boolean; seed?: Uint8Array } = {}): Wallet {
    if (this.wallets.has(name)) throw new RpcError(-4, `Wallet file verification failed. Failed to create database path '${name}'. Database already exists.`);
    const disablePrivateKeys = Boolean(opts.disablePrivateKeys);
    const w = new Wallet(this.chain, this.network, name, { disablePrivateKeys, seed: disablePrivateKeys || opts.blank ? undefined : (opts.seed ?? randomBytes(32)) });
    this.wallets.set(name, w);
    this.loaded.add(name);
    return w;
  }

  /** Runs one RPC call; `walletName` from the URI (/wallet/<name>), or undefined for `/`. */
  call(method: string, params: unknown, walletName: string | undefined): unknown {
    const m = this.methods[method];
    if (!m) throw new RpcError(-32601, 'Method not found');
    const names = paramNames[method] ?? [];
    let list: Params;
    if (Array.isArray(params)) list = params;
    else if (params && typeof params === 'object') {
      const obj = params as Record<string, unknown>;
      const unknown = Object.keys(obj).find((k) => !names.includes(k));
      if (unknown) throw new RpcError(-8, `Unknown named parameter ${unknown}`);
      list = names.map((n) => obj[n]);
    } else list = [];
    if (list.length > names.length) throw new RpcError(-1, `${method} takes at most ${names.length} arguments`);
    const wallet = () => {
      if (walletName !== undefined) {
        if (!this.loaded.has(walletName)) throw new RpcError(-18, 'Requested wallet does not exist or is not loaded');
        return this.wallets.get(walletName)!;
      }
      if (this.loaded.size === 1) return this.wallets.get([...this.loaded][0]!)!;
      if (this.loaded.size === 0) throw new RpcError(-18, 'No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)');
      throw new RpcError(-19, 'Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path).');
    };
    return m(list, wallet);
  }

  private address(script: Uint8Array): string | undefined {
    try { return btc.Address(this.network).encode(btc.OutScript.decode(script)); } catch { return undefined; }
  }

  private decodeAddress(address: unknown): Uint8Array {
    try { return btc.OutScript.encode(btc.Address(this.network).decode(String(address))); } catch {
      throw new RpcError(-5, `Invalid Bitcoin address: ${String(address)}`);
    }
  }

  private psbt(b64: unknown): btc.Transaction {
    try { return btc.Transaction.fromPSBT(base64.decode(String(b64)), txOpts); } catch (err) {
      throw new RpcError(-22, `TX decode failed ${(err as Error).message}`);
    }
  }

  decodeTx(t: ChainTx): Record<string, unknown> {
    const vin = [];
    for (let i = 0; i < t.tx.inputsLength; i++) {
      const x = t.tx.getInput(i);
      vin.push(t.coinbase ? { coinbase: hex.encode(x.finalScriptSig!), sequence: x.sequence }
        : { txid: hex.encode(x.txid!), vout: x.index, scriptSig: { asm: '', hex: hex.encode(x.finalScriptSig ?? new Uint8Array()) }, txinwitness: (x.finalScriptWitness ?? []).map((w) => hex.encode(w)), sequence: x.sequence });
    }
    const vout = [];
    for (let o = 0; o < t.tx.outputsLength; o++) {
      const out = t.tx.getOutput(o);
      const address = this.address(out.script!);
      vout.push({ value: amount(out.amount!), n: o, scriptPubKey: { hex: hex.encode(out.script!), ...(address ? { address } : {}), type: 'witness_v0_keyhash' } });
    }
    return { txid: t.txid, hash: t.tx.hash, version: t.tx.version, size: t.hex.length / 2, vsize: t.vsize, weight: t.tx.weight, locktime: t.tx.lockTime, vin, vout, hex: t.hex };
  }

  /** One listtransactions-style entry per output we receive and per output we send. */
  private entries(w: Wallet, txid: string, includeChange: boolean): Array<Record<string, unknown>> {
    const t = this.chain.txs.get(txid)!;
    const depth = w.depth(txid);
    const block = this.chain.blockOf(txid);
    const meta = w.txs.get(txid)!;
    const ours = w.inputsOurs(t);
    const fromUs = ours.length > 0 && ours.every(Boolean);
    const common = {
      confirmations: depth,
      ...(t.coinbase ? { generated: true } : {}),
      ...(depth === 0 ? { trusted: fromUs } : {}),
      ...(block ? { blockhash: block.hash, blockheight: block.height, blockindex: block.txids.indexOf(txid), blocktime: block.time } : {}),
      txid, wtxid: t.tx.hash, walletconflicts: w.conflicts(txid),
      ...(meta.replacedBy ? { replaced_by_txid: meta.replacedBy } : {}), ...(meta.replaces ? { replaces_txid: meta.replaces } : {}),
      ...(meta.comment ? { comment: meta.comment } : {}),
      time: meta.timeReceived, timereceived: meta.timeReceived, 'bip125-replaceable': depth === 0 ? 'yes' : 'no',
    };
    const out: Array<Record<string, unknown>> = [];
    if (fromUs) {
      for (let o = 0; o < t.tx.outputsLength; o++) {
        const output = t.tx.getOutput(o);
        const own = w.owns(output.script!);
        if (own?.d.internal) continue;
        out.push({ address: this.address(output.script!), category: 'send', amount: amount(-output.amount!), vout: o, fee: amount(-t.fee), ...common, abandoned: false });
      }
    }
    for (let o = 0; o < t.tx.outputsLength; o++) {
      const output = t.tx.getOutput(o);
      const own = w.owns(output.script!);
      if (!own || (own.d.internal && !includeChange)) continue;
      const category = t.coinbase ? (depth >= 100 ? 'generate' : depth < 1 ? 'orphan' : 'immature') : 'receive';
      const address = this.address(output.script!)!;
      out.push({ address, parent_descs: [own.d.publicDesc], category, amount: amount(output.amount!), ...(w.labels.has(address) ? { label: w.labels.get(address) } : { label: '' }), vout: o, ...common });
    }
    return out;
  }

  private sendHex(rawHex: string, maxFeeRate = 0.1): string {
    return this.chain.accept(rawHex, maxFeeRate);
  }

  private buildMethods(): Record<string, Method> {
    const chain = this.chain;
    const blockAt = (h: unknown) => {
      const height = Number(h);
      if (!Number.isInteger(height) || height < 0 || height > chain.tip.height) throw new RpcError(-8, 'Block height out of range');
      return chain.active[height]!;
    };
    const txOf = (txid: unknown) => {
      if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid)) throw new RpcError(-8, 'txid must be of length 64 (not 0, for \'\')');
      return txid;
    };
    return {
      getblockchaininfo: () => ({ chain: 'regtest', blocks: chain.tip.height, headers: chain.tip.height, bestblockhash: chain.tip.hash, difficulty: 4.656542373906925e-10, time: chain.tip.time, mediantime: chain.tip.time, verificationprogress: 1, initialblockdownload: false, chainwork: chain.tip.height.toString(16).padStart(64, '0'), size_on_disk: 0, pruned: false, warnings: [] }),
      getnetworkinfo: () => ({ version: 300000, subversion: '/Satoshi:30.0.0/', protocolversion: 70016, relayfee: 0.00001, incrementalfee: 0.00001, warnings: [] }),
      getblockcount: () => chain.tip.height,
      getbestblockhash: () => chain.tip.hash,
      getblockhash: ([h]) => blockAt(h).hash,
      getblock: ([hash, verbosity = 1]) => {
        const b = chain.blocks.get(String(hash));
        if (!b) throw new RpcError(-5, 'Block not found');
        const confirmations = chain.isActive(b.hash) ? chain.tip.height - b.height + 1 : -1;
        const head = { hash: b.hash, confirmations, height: b.height, version: 0x20000000, time: b.time, mediantime: b.time, nTx: b.txids.length, previousblockhash: b.prev, ...(chain.active[b.height + 1] && confirmations > 0 ? { nextblockhash: chain.active[b.height + 1]!.hash } : {}) };
        if (Number(verbosity) >= 2) return { ...head, tx: b.txids.map((id) => this.decodeTx(chain.txs.get(id)!)) };
        return { ...head, tx: b.txids };
      },
      getrawtransaction: ([txid, verbose]) => {
        const t = chain.txs.get(txOf(txid));
        if (!t || chain.depth(t.txid) === undefined) throw new RpcError(-5, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');
        if (!verbose) return t.hex;
        const b = chain.blockOf(t.txid);
        return { ...this.decodeTx(t), ...(b ? { blockhash: b.hash, confirmations: chain.depth(t.txid), time: b.time, blocktime: b.time } : {}) };
      },
      sendrawtransaction: ([h, maxfeerate]) => {
        if (typeof h !== 'string' || !/^([0-9a-f]{2})+$/i.test(h)) throw new RpcError(-22, 'TX decode failed. Make sure the tx has at least one input.');
        return this.sendHex(h, maxfeerate === undefined ? 0.1 : Number(maxfeerate));
      },
      testmempoolaccept: ([raws]) => (raws as string[]).map((r) => {
        const t = chain.parse(r);
        return { txid: t.txid, wtxid: t.tx.hash, allowed: chain.depth(t.txid) === undefined && t.tx.inputsLength > 0 };
      }),
      getrawmempool: ([verbose]) => verbose ? Object.fromEntries([...chain.mempool.values()].map((t) => [t.txid, { vsize: t.vsize, fees: { base: amount(t.fee) }, time: t.time }])) : [...chain.mempool.keys()],
      getmempoolentry: ([txid]) => {
        const t = chain.mempool.get(txOf(txid));
        if (!t) throw new RpcError(-5, 'Transaction not in mempool');
        return { vsize: t.vsize, weight: t.tx.weight, time: t.time, height: chain.tip.height, fees: { base: amount(t.fee), modified: amount(t.fee) }, 'bip125-replaceable': true };
      },
      estimatesmartfee: ([target, mode = 'conservative']) => {
        const n = Number(target);
        if (!Number.isInteger(n) || n < 1 || n > 1008) throw new RpcError(-8, 'Invalid conf_target, must be between 1 and 1008');
        if (!['unset', 'economical', 'conservative'].includes(String(mode).toLowerCase())) throw new RpcError(-8, 'Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"');
        // sat/vB → BTC/kvB, as Core reports it.
        return { feerate: chain.feeRate(n) / 100_000, blocks: Math.max(2, n) };
      },
      createwallet: ([name, disablePrivateKeys, blank, , , descriptors]) => {
        if (descriptors === false) throw new RpcError(-4, 'descriptors argument must be set to "true"; it is no longer possible to create a legacy wallet.');
        this.createWallet(String(name ?? ''), { disablePrivateKeys: Boolean(disablePrivateKeys), blank: Boolean(blank) });
        return { name: String(name ?? '') };
      },
      loadwallet: ([name]) => {
        const n = String(name);
        if (!this.wallets.has(n)) throw new RpcError(-18, `Wallet file not found: ${n}`);
        if (this.loaded.has(n)) throw new RpcError(-35, `Wallet "${n}" is already loaded.`);
        this.loaded.add(n);
        return { name: n };
      },
      unloadwallet: ([name], wallet) => {
        const n = name === undefined ? wallet().name : String(name);
        if (!this.loaded.delete(n)) throw new RpcError(-18, 'Requested wallet does not exist or is not loaded');
        return {};
      },
      listwallets: () => [...this.loaded],
      listwalletdir: () => ({ wallets: [...this.wallets.keys()].map((name) => ({ name })) }),
      getwalletinfo: (_, wallet) => {
        const w = wallet();
        const b = w.balances();
        return { walletname: w.name, walletversion: 169900, format: 'sqlite', balance: amount(b.trusted), unconfirmed_balance: amount(b.untrusted_pending), immature_balance: amount(b.immature), txcount: w.txs.size, keypoolsize: Math.max(0, ...w.descriptors.filter((d) => d.active && !d.internal).map((d) => d.rangeEnd - d.nextIndex)), private_keys_enabled: !w.privateKeysDisabled, avoid_reuse: false, scanning: false, descriptors: true, external_signer: false, blank: w.descriptors.length === 0, lastprocessedblock: { hash: chain.tip.hash, height: chain.tip.height } };
      },
      listdescriptors: ([priv], wallet) => {
        const w = wallet();
        if (priv) throw new RpcError(-4, 'Can\'t get descriptor string.');
        return { wallet_name: w.name, descriptors: w.publicDescriptors() };
      },
      importdescriptors: ([requests], wallet) => {
        const w = wallet();
        if (!Array.isArray(requests)) throw new RpcError(-3, 'Expected type array');
        return requests.map((r: Record<string, unknown>) => {
          try {
            const desc = String(r.desc);
            if (!desc.includes('#')) throw new RpcError(-5, 'Missing checksum');
            const range = r.range === undefined ? undefined : Array.isArray(r.range) ? Number(r.range[1]) + 1 : Number(r.range) + 1;
            const ts = r.timestamp === 'now' ? chain.now() : Number(r.timestamp);
            if (r.timestamp === undefined) throw new RpcError(-8, 'Missing required timestamp field for key');
            w.importDescriptor(desc, { active: Boolean(r.active), internal: Boolean(r.internal), rangeEnd: range, nextIndex: r.next_index === undefined ? undefined : Number(r.next_index), timestamp: ts });
            // A timestamp in the past rescans the chain (and the mempool) for the descriptor's scripts.
            if (r.timestamp !== 'now') for (const b of chain.active) for (const id of b.txids) w.onTransaction(chain.txs.get(id)!);
            if (r.timestamp !== 'now') for (const t of chain.mempool.values()) w.onTransaction(t);
            return { success: true };
          } catch (err) {
            const e = err as RpcError;
            return { success: false, error: { code: e.code ?? -1, message: e.message } };
          }
        });
      },
      keypoolrefill: ([size], wallet) => {
        const w = wallet();
        if (w.privateKeysDisabled) throw new RpcError(-4, 'Error: Private keys are disabled for this wallet');
        const n = size === undefined ? 1000 : Number(size);
        if (!Number.isInteger(n) || n < 0) throw new RpcError(-8, 'Invalid parameter, expected valid size.');
        w.topUp(n);
        return null;
      },
      getnewaddress: ([label, type], wallet) => {
        const w = wallet();
        if (type !== undefined && !['bech32', 'bech32m'].includes(String(type))) throw new RpcError(-5, `Unknown address type '${String(type)}'`);
        const a = w.newAddress(type === 'bech32m' ? 'tr' : type === 'bech32' ? 'wpkh' : w.defaultType(), false);
        if (typeof label === 'string' && label) w.labels.set(a, label);
        return a;
      },
      getrawchangeaddress: ([type], wallet) => wallet().newAddress(type === 'bech32m' ? 'tr' : 'wpkh', true),
      getaddressinfo: ([address], wallet) => {
        const w = wallet();
        const script = this.decodeAddress(address);
        const own = w.owns(script);
        return { address: String(address), scriptPubKey: hex.encode(script), ismine: Boolean(own), solvable: Boolean(own), iswatchonly: false, ischange: Boolean(own?.d.internal), ...(own ? { desc: `${publicDescriptor(own.d.deriver.descriptor)}`, parent_desc: publicDescriptor(own.d.deriver.descriptor) } : {}), labels: w.labels.has(String(address)) ? [w.labels.get(String(address))] : [] };
      },
      listsinceblock: ([blockhash, targetConfirmations = 1, , includeRemoved = true, includeChange = false], wallet) => {
        const w = wallet();
        const target = Number(targetConfirmations);
        if (!Number.isInteger(target) || target < 1) throw new RpcError(-8, 'Invalid parameter');
        let depth = -1;
        const removed: Array<Record<string, unknown>> = [];
        if (blockhash !== undefined && blockhash !== null && blockhash !== '') {
          let b = chain.blocks.get(String(blockhash));
          if (!b) throw new RpcError(-5, 'Block not found');
          // Walk back to the active chain; the blocks left behind were disconnected: their transactions are `removed`.
          while (!chain.isActive(b.hash)) {
            if (includeRemoved) for (const id of b.txids) if (w.txs.has(id)) removed.push(...this.entries(w, id, Boolean(includeChange)));
            b = chain.blocks.get(b.prev)!;
          }
          depth = chain.tip.height + 1 - b.height;
        }
        const transactions: Array<Record<string, unknown>> = [];
        for (const id of w.txs.keys()) if (depth === -1 || Math.abs(w.depth(id)) < depth) transactions.push(...this.entries(w, id, Boolean(includeChange)));
        const last = chain.active[Math.max(0, chain.tip.height + 1 - target)]!;
        return { transactions, removed, lastblock: last.hash };
      },
      gettransaction: ([txid], wallet) => {
        const w = wallet();
        const id = txOf(txid);
        if (!w.txs.has(id)) throw new RpcError(-5, 'Invalid or non-wallet transaction id');
        const details = this.entries(w, id, false);
        const t = chain.txs.get(id)!;
        const { address: _a, category: _c, amount: _m, vout: _v, label: _l, parent_descs: _p, fee: _f, abandoned: _b, ...common } = details[0] ?? this.entries(w, id, true)[0] ?? {};
        let net = 0n;
        for (let o = 0; o < t.tx.outputsLength; o++) if (w.owns(t.tx.getOutput(o).script!)) net += t.tx.getOutput(o).amount!;
        const ours = w.inputsOurs(t);
        for (let i = 0; i < ours.length; i++) if (ours[i]) { const x = t.tx.getInput(i); net -= chain.output(hex.encode(x.txid!), x.index!)!.amount; }
        const fromUs = ours.length > 0 && ours.every(Boolean);
        return { amount: amount(fromUs ? net + t.fee : net), ...(fromUs ? { fee: amount(-t.fee) } : {}), ...common, details: details.map(({ txid: _t, walletconflicts: _w, time: _ti, timereceived: _tr, ...d }) => d), hex: t.hex };
      },
      getbalances: (_, wallet) => {
        const b = wallet().balances();
        return { mine: { trusted: amount(b.trusted), untrusted_pending: amount(b.untrusted_pending), immature: amount(b.immature) }, lastprocessedblock: { hash: chain.tip.hash, height: chain.tip.height } };
      },
      getbalance: (_, wallet) => amount(wallet().balances().trusted),
      listunspent: ([minconf = 1, maxconf = 9999999], wallet) => {
        const w = wallet();
        return w.coins().filter((c) => c.depth >= Number(minconf) && c.depth <= Number(maxconf)).map((c) => ({
          txid: c.txid, vout: c.vout, address: this.address(c.script), scriptPubKey: hex.encode(c.script), amount: amount(c.amount), confirmations: c.depth,
          spendable: !w.privateKeysDisabled, solvable: true, safe: w.spendable(c), desc: publicDescriptor(c.own.d.deriver.descriptor), parent_descs: [publicDescriptor(c.own.d.deriver.descriptor)],
        }));
      },
      lockunspent: ([unlock, transactions], wallet) => {
        const w = wallet();
        if (typeof unlock !== 'boolean') throw new RpcError(-3, 'JSON value of type ' + typeof unlock + ' is not of expected type bool');
        if (transactions === undefined) { if (unlock) w.locked.clear(); return true; }
        for (const o of transactions as Array<{ txid: string; vout: number }>) {
          const key = outpoint(o.txid, o.vout);
          if (!chain.output(o.txid, o.vout)) throw new RpcError(-8, 'Invalid parameter, unknown transaction');
          if (chain.spentBy.has(key) && !unlock) throw new RpcError(-8, 'Invalid parameter, expected unspent output');
          if (unlock && !w.locked.has(key)) throw new RpcError(-8, 'Invalid parameter, expected locked output');
          if (!unlock && w.locked.has(key)) throw new RpcError(-8, 'Invalid parameter, output already locked');
        }
        for (const o of transactions as Array<{ txid: string; vout: number }>) {
          if (unlock) w.locked.delete(outpoint(o.txid, o.vout)); else w.locked.add(outpoint(o.txid, o.vout));
        }
        return true;
      },
      listlockunspent: (_, wallet) => [...wallet().locked].map((k) => { const [txid, vout] = k.split(':'); return { txid, vout: Number(vout) }; }),
      walletcreatefundedpsbt: ([inputs, outputs, , options, ], wallet) => {
        const w = wallet();
        const opts = (options ?? {}) as Record<string, unknown>;
        const outs: Array<{ script: Uint8Array; amount: bigint }> = [];
        const seen = new Set<string>();
        const list = Array.isArray(outputs) ? outputs : [outputs];
        for (const o of list as Array<Record<string, unknown>>) {
          for (const [addr, amt] of Object.entries(o)) {
            if (addr === 'data') { outs.push({ script: btc.Script.encode(['RETURN', hex.decode(String(amt))]), amount: 0n }); continue; }
            if (seen.has(addr)) throw new RpcError(-8, `Invalid parameter, duplicated address: ${addr}`);
            seen.add(addr);
            let sat: bigint;
            try { sat = btcToSat(amt as number | string); } catch { throw new RpcError(-3, 'Invalid amount'); }
            if (sat <= 0n) throw new RpcError(-3, 'Amount out of range');
            outs.push({ script: this.decodeAddress(addr), amount: sat });
          }
        }
        const preset = ((inputs ?? []) as Array<{ txid: string; vout: number }>).map((i) => {
          const c = w.coins().find((x) => x.txid === i.txid && x.vout === i.vout);
          if (!c) throw new RpcError(-4, `Insufficient funds: input ${i.txid}:${i.vout} not found or spent`);
          return c;
        });
        const { tx, fee, changepos } = w.fund(outs, { feeRate: feeRateOf(opts, chain), lockUnspents: Boolean(opts.lockUnspents), inputs: preset, changeType: opts.change_type === 'bech32m' ? 'tr' : undefined });
        return { psbt: base64.encode(tx.toPSBT()), fee: amount(fee), changepos };
      },
      walletprocesspsbt: ([psbt, sign = true, , , finalize = true], wallet) => {
        const w = wallet();
        const tx = this.psbt(psbt);
        if (sign) w.sign(tx);
        let complete = true;
        const fin = tx.clone();
        try { fin.finalize(); } catch { complete = false; }
        if (complete && finalize) return { psbt: base64.encode(fin.toPSBT()), complete: true, hex: hex.encode(fin.extract()) };
        return { psbt: base64.encode(tx.toPSBT()), complete };
      },
      finalizepsbt: ([psbt, extract = true]) => {
        const tx = this.psbt(psbt);
        try { tx.finalize(); } catch { return { psbt: base64.encode(tx.toPSBT()), complete: false }; }
        return extract ? { hex: hex.encode(tx.extract()), complete: true } : { psbt: base64.encode(tx.toPSBT()), complete: true };
      },
      combinepsbt: ([txs]) => {
        if (!Array.isArray(txs) || txs.length === 0) throw new RpcError(-8, 'Parameter \'txs\' cannot be empty');
        const [first, ...rest] = txs.map((t) => this.psbt(t));
        try { for (const r of rest) first!.combine(r); } catch { throw new RpcError(-8, 'PSBTs not compatible (different transactions)'); }
        return base64.encode(first!.toPSBT());
      },
      decodepsbt: ([psbt]) => {
        const tx = this.psbt(psbt);
        return { tx: { txid: tx.id, vin: Array.from({ length: tx.inputsLength }, (_, i) => ({ txid: hex.encode(tx.getInput(i).txid!), vout: tx.getInput(i).index })), vout: Array.from({ length: tx.outputsLength }, (_, o) => ({ value: amount(tx.getOutput(o).amount!), n: o })) }, fee: amount(tx.fee) };
      },
      psbtbumpfee: ([txid, options], wallet) => ({ ...this.bump(wallet(), txOf(txid), (options ?? {}) as Record<string, unknown>, false) }),
      bumpfee: ([txid, options], wallet) => this.bump(wallet(), txOf(txid), (options ?? {}) as Record<string, unknown>, true),
      sendtoaddress: ([address, amt, comment, , , , confTarget, , , feeRate], wallet) => {
        const w = wallet();
        const sat = btcToSat(amt as number | string);
        const { tx } = w.fund([{ script: this.decodeAddress(address), amount: sat }], { feeRate: feeRateOf({ fee_rate: feeRate, conf_target: confTarget }, chain), lockUnspents: false });
        w.sign(tx);
        tx.finalize();
        const id = this.sendHex(hex.encode(tx.extract()));
        if (typeof comment === 'string') w.txs.get(id)!.comment = comment;
        return id;
      },
      generatetoaddress: ([n, address]) => chain.mine(Number(n), this.decodeAddress(address)),
      invalidateblock: ([hash]) => { chain.invalidate(String(hash)); return null; },
      validateaddress: ([address]) => {
        try {
          const script = btc.OutScript.encode(btc.Address(this.network).decode(String(address)));
          return { isvalid: true, address: String(address), scriptPubKey: hex.encode(script) };
        } catch { return { isvalid: false, error: 'Invalid or unsupported Segwit (Bech32) or Base58 encoding.' }; }
      },
      getdescriptorinfo: ([descriptor]) => {
        const text = String(descriptor).split('#')[0]!;
        let d;
        try { d = parseDescriptor(text, this.network); } catch (err) { throw new RpcError(-5, (err as Error).message); }
        const pub = publicDescriptor(d);
        return { descriptor: pub, checksum: descriptorChecksum(text), isrange: true, issolvable: true, hasprivatekeys: d.keys.some((k) => Boolean(k.key.privateKey)) };
      },
      deriveaddresses: ([descriptor, range]) => {
        let d;
        try { d = new Deriver(parseDescriptor(String(descriptor), this.network)); } catch (err) { throw new RpcError(-5, (err as Error).message); }
        if (!String(descriptor).includes('#')) throw new RpcError(-5, 'Missing checksum');
        const [from, to] = Array.isArray(range) ? range.map(Number) : [0, Number(range ?? 0)];
        return Array.from({ length: to! - from! + 1 }, (_, i) => d.derive(from! + i).address);
      },
    };
  }

  /** bumpfee / psbtbumpfee: the same inputs and outputs, the change lowered to pay the new fee. */
  private bump(w: Wallet, txid: string, options: Record<string, unknown>, broadcast: boolean): Record<string, unknown> {
    if (!w.txs.has(txid)) throw new RpcError(-5, 'Invalid or non-wallet transaction id');
    const t = this.chain.txs.get(txid)!;
    const replacedBy = w.txs.get(txid)!.replacedBy;
    if (replacedBy) throw new RpcError(-8, `Cannot bump transaction ${txid} which was already bumped by transaction ${replacedBy}`);
    if (w.depth(txid) !== 0 || !this.chain.mempool.has(txid)) throw new RpcError(-8, 'Transaction has been mined, or is conflicted with a mined transaction');
    if (!w.inputsOurs(t).every(Boolean)) throw new RpcError(-8, 'Transaction contains inputs that don\'t belong to this wallet');
    const newRate = options.fee_rate !== undefined ? Number(options.fee_rate) : this.chain.feeRate(Number(options.conf_target ?? 6));
    const changeIdx = Array.from({ length: t.tx.outputsLength }, (_, o) => o).find((o) => w.owns(t.tx.getOutput(o).script!)?.d.internal);
    if (changeIdx === undefined) throw new RpcError(-1, 'Transaction does not have a change output');
    const newFee = BigInt(Math.ceil(newRate * t.vsize));
    const minFee = t.fee + BigInt(t.vsize);
    if (newFee < minFee) throw new RpcError(-8, `Insufficient total fee ${satToBtc(newFee)}, must be at least ${satToBtc(minFee)} (oldFee ${satToBtc(t.fee)} + incrementalFee ${satToBtc(BigInt(t.vsize))})`);
    const tx = new btc.Transaction({ ...txOpts, version: 2 });
    for (let i = 0; i < t.tx.inputsLength; i++) {
      const x = t.tx.getInput(i);
      const c = { txid: hex.encode(x.txid!), vout: x.index!, ...this.chain.output(hex.encode(x.txid!), x.index!)!, depth: 0, own: w.owns(this.chain.output(hex.encode(x.txid!), x.index!)!.script)! };
      tx.addInput(w.psbtInput(c));
    }
    for (let o = 0; o < t.tx.outputsLength; o++) {
      const out = t.tx.getOutput(o);
      const value = o === changeIdx ? out.amount! - (newFee - t.fee) : out.amount!;
      if (o === changeIdx && value < 294n) throw new RpcError(-4, 'Change output is too small to bump the fee');
      tx.addOutput({ script: out.script!, amount: value });
    }
    if (!broadcast) return { psbt: base64.encode(tx.toPSBT()), origfee: amount(t.fee), fee: amount(newFee), errors: [] };
    w.sign(tx);
    tx.finalize();
    const id = this.sendHex(hex.encode(tx.extract()));
    w.txs.get(txid)!.replacedBy = id;
    w.txs.get(id)!.replaces = txid;
    return { txid: id, origfee: amount(t.fee), fee: amount(newFee), errors: [] };
  }
}
