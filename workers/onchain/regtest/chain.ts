// The regtest chain of the embedded node (and of the bitcoind stand-in, test/sims/bitcoind):
// blocks, a mempool with full-RBF replacement, coinbase maturity, fee estimates and reorgs
// (invalidateblock). Transactions are real: parsed and built with @scure/btc-signer, so their
// bytes decode with any library. Scripts are not executed (the wallets sign correctly, and tests
// check signatures with a second library); amounts, double spends and dust are checked.
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import { dustLimitSat } from '../../../core/onchain/address.ts';

export class RpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) { super(message); this.code = code; }
}

export const txOpts = { allowUnknownInputs: true, allowUnknownOutputs: true, disableScriptCheck: true, allowLegacyWitnessUtxo: true } as const;
const dsha = (b: Uint8Array) => sha256(sha256(b));
const reversedHex = (b: Uint8Array) => hex.encode(Uint8Array.from(b).reverse());
export const COIN = 100_000_000n;
const COINBASE_MATURITY = 100;

export interface ChainTx {
  txid: string;
  hex: string;
  tx: btc.Transaction;
  coinbase: boolean;
  /** Sum of inputs minus outputs (0 for a coinbase). */
  fee: bigint;
  vsize: number;
  /** When this node first saw it (seconds). */
  time: number;
}

export interface Block { hash: string; height: number; prev: string; time: number; txids: string[] }

export interface ChainListener {
  /** A transaction entered the mempool or a block of the active chain. */
  onTransaction(t: ChainTx): void;
}

export const outpoint = (txid: string, vout: number) => `${txid}:${vout}`;

export class Chain {
  readonly txs = new Map<string, ChainTx>();
  readonly blocks = new Map<string, Block>();
  /** The active chain, by height. */
  readonly active: Block[] = [];
  readonly txBlock = new Map<string, string>();
  /** Transactions in the mempool, in the order they entered (parents before children). */
  readonly mempool = new Map<string, ChainTx>();
  /** Outpoint → the active-chain or mempool transaction that spends it. */
  readonly spentBy = new Map<string, string>();
  readonly invalid = new Set<string>();
  readonly listeners: ChainListener[] = [];
  /** sat/vB by confirmation target (estimatesmartfee); the nearest target at or above wins. */
  feeRates = new Map<number, number>([[1, 20], [6, 10], [144, 2]]);
  private clock = 1_700_000_000;

  constructor() {
    const genesis: Block = { hash: reversedHex(dsha(new TextEncoder().encode('flash regtest genesis'))), height: 0, prev: '0'.repeat(64), time: this.clock, txids: [] };
    this.blocks.set(genesis.hash, genesis);
    this.active.push(genesis);
  }

  get tip(): Block { return this.active.at(-1)!; }
  now(): number { return Math.max(this.clock, Math.floor(Date.now() / 1000)); }

  /** Depth of a transaction: ≥ 1 in the active chain, 0 in the mempool, undefined otherwise. */
  depth(txid: string): number | undefined {
    const b = this.txBlock.get(txid);
    if (b) return this.tip.height - this.blocks.get(b)!.height + 1;
    return this.mempool.has(txid) ? 0 : undefined;
  }

  blockOf(txid: string): Block | undefined {
    const b = this.txBlock.get(txid);
    return b ? this.blocks.get(b) : undefined;
  }

  isActive(hash: string): boolean {
    const b = this.blocks.get(hash);
    return b !== undefined && this.active[b.height]?.hash === hash;
  }

  /** The output `txid:vout` of a transaction this node knows. */
  output(txid: string, vout: number): { amount: bigint; script: Uint8Array } | undefined {
    const t = this.txs.get(txid);
    if (!t || vout >= t.tx.outputsLength) return undefined;
    const o = t.tx.getOutput(vout);
    return { amount: o.amount!, script: o.script! };
  }

  parse(rawHex: string): ChainTx {
    let tx: btc.Transaction;
    try {
      tx = btc.Transaction.fromRaw(hex.decode(rawHex), txOpts);
    } catch {
      throw new RpcError(-22, 'TX decode failed. Make sure the tx has at least one input.');
    }
    const first = tx.getInput(0);
    const coinbase = tx.inputsLength === 1 && first.index === 0xffffffff && first.txid!.every((b) => b === 0);
    return { txid: tx.id, hex: rawHex, tx, coinbase, fee: 0n, vsize: tx.vsize, time: this.now() };
  }

  /** Mempool acceptance as Bitcoin Core decides it (full RBF). Returns the txid. */
  accept(rawHex: string, maxFeeRate = 0.1): string {
    const t = this.parse(rawHex);
    if (t.coinbase) throw new RpcError(-26, 'coinbase');
    if (this.txBlock.has(t.txid)) throw new RpcError(-27, 'Transaction outputs already in utxo set');
    if (this.mempool.has(t.txid)) return t.txid;
    let inSum = 0n;
    const conflicts = new Set<string>();
    for (let i = 0; i < t.tx.inputsLength; i++) {
      const input = t.tx.getInput(i);
      const prevTxid = hex.encode(input.txid!);
      const prev = this.output(prevTxid, input.index!);
      const prevDepth = this.depth(prevTxid);
      if (!prev || prevDepth === undefined) throw new RpcError(-25, 'bad-txns-inputs-missingorspent');
      if (this.txs.get(prevTxid)!.coinbase && prevDepth < COINBASE_MATURITY) throw new RpcError(-26, 'bad-txns-premature-spend-of-coinbase');
      const spender = this.spentBy.get(outpoint(prevTxid, input.index!));
      if (spender && this.txBlock.has(spender)) throw new RpcError(-25, 'bad-txns-inputs-missingorspent');
      if (spender) conflicts.add(spender);
      inSum += prev.amount;
    }
    let outSum = 0n;
    for (let o = 0; o < t.tx.outputsLength; o++) {
      const out = t.tx.getOutput(o);
      if (out.script![0] !== 0x6a && out.amount! < dustLimitSat(out.script!)) throw new RpcError(-26, 'dust');
      outSum += out.amount!;
    }
    if (outSum > inSum) throw new RpcError(-26, 'bad-txns-in-belowout');
    t.fee = inSum - outSum;
    if (t.fee < BigInt(t.vsize)) throw new RpcError(-26, 'min relay fee not met');
    if (maxFeeRate > 0 && Number(t.fee) / t.vsize > maxFeeRate * 100_000) {
      throw new RpcError(-25, 'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)');
    }
    if (conflicts.size) {
      // BIP-125 rules 3 and 4 (full RBF): pay more than everything replaced, plus its own relay.
      const replaced = [...conflicts].flatMap((c) => this.withDescendants(c));
      const replacedFee = replaced.reduce((s, c) => s + this.mempool.get(c)!.fee, 0n);
      if (t.fee < replacedFee + BigInt(t.vsize)) throw new RpcError(-26, `insufficient fee, rejecting replacement ${[...conflicts][0]}`);
      for (const c of replaced.reverse()) this.removeFromMempool(c);
    }
    this.addToMempool(t);
    return t.txid;
  }

  private addToMempool(t: ChainTx): void {
    if (!this.txs.has(t.txid)) this.txs.set(t.txid, t);
    else t = this.txs.get(t.txid)!;
    this.mempool.set(t.txid, t);
    this.markSpends(t, t.txid);
    for (const l of this.listeners) l.onTransaction(t);
  }

  private markSpends(t: ChainTx, spender: string | undefined): void {
    if (t.coinbase) return;
    for (let i = 0; i < t.tx.inputsLength; i++) {
      const input = t.tx.getInput(i);
      const op = outpoint(hex.encode(input.txid!), input.index!);
      if (spender) this.spentBy.set(op, spender);
      else if (this.spentBy.get(op) === t.txid) this.spentBy.delete(op);
    }
  }

  /** A mempool transaction and every mempool transaction spending it, parents first. */
  withDescendants(txid: string): string[] {
    const out = [txid];
    for (let i = 0; i < out.length; i++) {
      const t = this.mempool.get(out[i]!)!;
      for (let o = 0; o < t.tx.outputsLength; o++) {
        const child = this.spentBy.get(outpoint(out[i]!, o));
        if (child && this.mempool.has(child) && !out.includes(child)) out.push(child);
      }
    }
    return out;
  }

  removeFromMempool(txid: string): void {
    const t = this.mempool.get(txid);
    if (!t) return;
    this.mempool.delete(txid);
    this.markSpends(t, undefined);
  }

  /** Mines `n` blocks holding the whole mempool, the coinbase paying `script`. */
  mine(n: number, script: Uint8Array): string[] {
    const hashes: string[] = [];
    for (let k = 0; k < n; k++) {
      const height = this.tip.height + 1;
      const txs = [...this.mempool.values()];
      const fees = txs.reduce((s, t) => s + t.fee, 0n);
      const subsidy = (50n * COIN) >> BigInt(Math.floor(height / 150));
      const cb = new btc.Transaction({ ...txOpts, version: 2 });
      cb.addOutput({ script, amount: subsidy + fees });
      // BIP-34: the height in the coinbase's script; the counter keeps coinbases unique across reorgs.
      cb.addInput({ txid: new Uint8Array(32), index: 0xffffffff, finalScriptSig: btc.Script.encode([btc.ScriptNum().encode(BigInt(height)), btc.ScriptNum().encode(BigInt(this.blocks.size))]), sequence: 0xffffffff });
      const coinbase: ChainTx = { ...this.parse(cb.hex), coinbase: true };
      this.txs.set(coinbase.txid, coinbase);
      this.clock = Math.max(this.clock + 1, this.now());
      const txids = [coinbase.txid, ...txs.map((t) => t.txid)];
      const header = new Uint8Array(80);
      header.set(hex.decode(this.tip.hash).reverse(), 4);
      header.set(dsha(new TextEncoder().encode(txids.join(''))), 36);
      new DataView(header.buffer).setUint32(68, this.clock, true);
      new DataView(header.buffer).setUint32(76, this.blocks.size, true);
      const block: Block = { hash: reversedHex(dsha(header)), height, prev: this.tip.hash, time: this.clock, txids };
      this.blocks.set(block.hash, block);
      this.connect(block);
      hashes.push(block.hash);
    }
    return hashes;
  }

  /** Restores a block as it was saved (the embedded node's state file): active if it extends the tip and is valid. */
  restoreBlock(saved: { hash: string; prev: string; time: number; txs: string[] }, valid: boolean): void {
    const txids: string[] = [];
    for (const raw of saved.txs) {
      const t = this.parse(raw);
      if (!this.txs.has(t.txid)) this.txs.set(t.txid, t);
      txids.push(t.txid);
    }
    for (const txid of txids.slice(1)) this.txs.get(txid)!.fee = this.feeOf(this.txs.get(txid)!);
    const height = (this.blocks.get(saved.prev)?.height ?? 0) + 1;
    const block: Block = { hash: saved.hash, height, prev: saved.prev, time: saved.time, txids };
    this.blocks.set(block.hash, block);
    this.clock = Math.max(this.clock, saved.time);
    if (!valid) this.invalid.add(block.hash);
    else if (saved.prev === this.tip.hash) this.connect(block);
  }

  private feeOf(t: ChainTx): bigint {
    let fee = 0n;
    for (let i = 0; i < t.tx.inputsLength; i++) { const x = t.tx.getInput(i); fee += this.output(hex.encode(x.txid!), x.index!)?.amount ?? 0n; }
    for (let o = 0; o < t.tx.outputsLength; o++) fee -= t.tx.getOutput(o).amount!;
    return fee;
  }

  private connect(block: Block): void {
    this.active.push(block);
    for (const txid of block.txids) {
      const t = this.txs.get(txid)!;
      this.mempool.delete(txid);
      this.txBlock.set(txid, block.hash);
      this.markSpends(t, txid);
      for (const l of this.listeners) l.onTransaction(t);
    }
    // Whatever the block's transactions conflict with leaves the mempool.
    for (const t of [...this.mempool.values()]) {
      for (let i = 0; i < t.tx.inputsLength; i++) {
        const input = t.tx.getInput(i);
        const spender = this.spentBy.get(outpoint(hex.encode(input.txid!), input.index!));
        if (spender && this.txBlock.has(spender) && spender !== t.txid) {
          for (const c of this.withDescendants(t.txid).reverse()) this.removeFromMempool(c);
          break;
        }
      }
    }
  }

  /** invalidateblock: disconnects the block and all after it; their transactions return to the mempool. */
  invalidate(hash: string): void {
    const block = this.blocks.get(hash);
    if (!block) throw new RpcError(-5, 'Block not found');
    if (block.height === 0) throw new RpcError(-8, 'Cannot invalidate the genesis block');
    this.invalid.add(hash);
    if (!this.isActive(hash)) return;
    const back: ChainTx[] = [];
    while (this.tip.height >= block.height) {
      const b = this.active.pop()!;
      for (const txid of [...b.txids].reverse()) {
        const t = this.txs.get(txid)!;
        this.txBlock.delete(txid);
        this.markSpends(t, undefined);
        if (!t.coinbase) back.unshift(t);
      }
    }
    const pool = [...this.mempool.values()];
    for (const t of pool) this.removeFromMempool(t.txid);
    for (const t of [...back, ...pool]) {
      try { this.accept(t.hex, 0); } catch { /* spends a disconnected coinbase: gone */ }
    }
  }

  /** sat/vB for a confirmation target. */
  feeRate(target: number): number {
    const targets = [...this.feeRates.keys()].sort((a, b) => a - b);
    const t = targets.find((x) => x >= target) ?? targets.at(-1)!;
    return this.feeRates.get(t)!;
  }
}
