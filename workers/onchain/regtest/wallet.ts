// Descriptor wallets of the embedded node (and of the bitcoind stand-in), as Bitcoin Core keeps
// them: active receive and change descriptors with a range kept ahead (keypool), transactions
// that touch their scripts, locked coins, coin selection, PSBTs (BIP-174) signed with the keys
// the descriptors hold. A wallet created with disable_private_keys is watch-only (cold storage).
import { hex } from '@scure/base';
import { HDKey } from '@scure/bip32';
import * as btc from '@scure/btc-signer';
import { Deriver, parseDescriptor, publicDescriptor, withChecksum, type Descriptor } from '../../../core/onchain/descriptor.ts';
import { dustLimitSat, outputVbytes } from '../../../core/onchain/address.ts';
import type { ChainNetwork } from '../../../core/onchain/network.ts';
import { outpoint, RpcError, txOpts, type Chain, type ChainTx } from './chain.ts';

export interface WalletDescriptor {
  /** As imported (with private keys, if any). */
  desc: string;
  /** Its public form with checksum (listed in every entry's parent_descs). */
  publicDesc: string;
  deriver: Deriver;
  active: boolean;
  internal: boolean;
  /** Scripts are known for indices below this. */
  rangeEnd: number;
  nextIndex: number;
  timestamp: number;
}

export interface Coin { txid: string; vout: number; amount: bigint; script: Uint8Array; depth: number; own: { d: WalletDescriptor; index: number } }

interface WalletTxMeta { timeReceived: number; replacedBy?: string; replaces?: string; comment?: string }

const KEYPOOL = 1000;

export class Wallet {
  readonly name: string;
  readonly privateKeysDisabled: boolean;
  readonly descriptors: WalletDescriptor[] = [];
  readonly scripts = new Map<string, { d: WalletDescriptor; index: number }>();
  readonly txs = new Map<string, WalletTxMeta>();
  readonly locked = new Set<string>();
  readonly labels = new Map<string, string>();
  /** The seed of a wallet created with keys (kept by the embedded node's state file). */
  readonly seed?: Uint8Array;
  private readonly chain: Chain;
  private readonly network: ChainNetwork;

  constructor(chain: Chain, network: ChainNetwork, name: string, opts: { disablePrivateKeys: boolean; seed?: Uint8Array }) {
    this.chain = chain;
    this.network = network;
    this.name = name;
    this.privateKeysDisabled = opts.disablePrivateKeys;
    this.seed = opts.seed;
    if (opts.seed) {
      // As Bitcoin Core: BIP-84 (wpkh) and BIP-86 (tr) receive and change descriptors.
      const root = HDKey.fromMasterSeed(opts.seed, network.bip32);
      const fp = root.fingerprint.toString(16).padStart(8, '0');
      for (const [type, purpose] of [['wpkh', 84], ['tr', 86]] as const) {
        const account = root.derive(`m/${purpose}'/${network.coinType}'/0'`);
        for (const internal of [false, true]) {
          this.importDescriptor(`${type}([${fp}/${purpose}h/${network.coinType}h/0h]${account.privateExtendedKey}/${internal ? 1 : 0}/*)`, { active: true, internal, timestamp: chain.now() });
        }
      }
    }
  }

  importDescriptor(text: string, opts: { active: boolean; internal: boolean; rangeEnd?: number; nextIndex?: number; timestamp: number }): WalletDescriptor {
    let parsed: Descriptor;
    try { parsed = parseDescriptor(text, this.network); } catch (err) { throw new RpcError(-5, (err as Error).message); }
    const hasPrivate = parsed.keys.some((k) => k.key.privateKey);
    if (hasPrivate && this.privateKeysDisabled) throw new RpcError(-4, 'Cannot import private keys to a wallet with private keys disabled');
    const body = withChecksum(text).split('#')[0]!;
    const existing = this.descriptors.find((d) => d.desc === body);
    const d = existing ?? { desc: body, publicDesc: publicDescriptor(parsed), deriver: new Deriver(parsed), active: opts.active, internal: opts.internal, rangeEnd: 0, nextIndex: opts.nextIndex ?? 0, timestamp: opts.timestamp };
    if (!existing) {
      // One active descriptor per type and side: a new one replaces the old as active.
      if (opts.active) for (const o of this.descriptors) if (o.active && o.internal === opts.internal && o.deriver.descriptor.type === parsed.type) o.active = false;
      this.descriptors.push(d);
    }
    d.active = opts.active;
    d.nextIndex = Math.max(d.nextIndex, opts.nextIndex ?? 0);
    this.extend(d, Math.max(opts.rangeEnd ?? 0, d.nextIndex + (opts.rangeEnd === undefined ? KEYPOOL : 0)));
    return d;
  }

  private extend(d: WalletDescriptor, rangeEnd: number): void {
    for (let i = d.rangeEnd; i < rangeEnd; i++) this.scripts.set(hex.encode(d.deriver.derive(i).script), { d, index: i });
    d.rangeEnd = Math.max(d.rangeEnd, rangeEnd);
  }

  /** keypoolrefill: every active descriptor's range reaches next_index + size. */
  topUp(size = KEYPOOL): void {
    for (const d of this.descriptors) if (d.active) this.extend(d, d.nextIndex + size);
  }

  publicDescriptors(): Array<{ desc: string; timestamp: number; active: boolean; internal: boolean; range: [number, number]; next: number; next_index: number }> {
    return this.descriptors.map((d) => ({
      desc: d.publicDesc, timestamp: d.timestamp, active: d.active, internal: d.internal,
      range: [0, d.rangeEnd - 1], next: d.nextIndex, next_index: d.nextIndex,
    }));
  }

  newAddress(type: 'wpkh' | 'tr', internal: boolean): string {
    const d = this.descriptors.find((x) => x.active && x.internal === internal && x.deriver.descriptor.type === type)
      ?? this.descriptors.find((x) => x.active && x.internal === internal);
    if (!d) throw new RpcError(-4, 'Error: This wallet has no available keys');
    const address = d.deriver.derive(d.nextIndex).address;
    d.nextIndex++;
    this.extend(d, d.nextIndex + KEYPOOL);
    return address;
  }

  owns(script: Uint8Array): { d: WalletDescriptor; index: number } | undefined {
    return this.scripts.get(hex.encode(script));
  }

  /** Called for every transaction entering the mempool or a block (and on rescans). */
  onTransaction(t: ChainTx): void {
    let mine = false;
    for (let o = 0; o < t.tx.outputsLength; o++) {
      const own = this.owns(t.tx.getOutput(o).script!);
      if (!own) continue;
      mine = true;
      // A used address moves the descriptor's next index past it, and the range with it.
      if (own.index >= own.d.nextIndex) { own.d.nextIndex = own.index + 1; this.extend(own.d, own.d.nextIndex + KEYPOOL); }
    }
    if (!mine && !t.coinbase) mine = this.inputsOurs(t).some(Boolean);
    if (mine && !this.txs.has(t.txid)) this.txs.set(t.txid, { timeReceived: this.chain.now() });
  }

  inputsOurs(t: ChainTx): boolean[] {
    if (t.coinbase) return [];
    const out: boolean[] = [];
    for (let i = 0; i < t.tx.inputsLength; i++) {
      const input = t.tx.getInput(i);
      const prev = this.chain.output(hex.encode(input.txid!), input.index!);
      out.push(Boolean(prev && this.owns(prev.script)));
    }
    return out;
  }

  /** Bitcoin Core's depth: ≥ 1 confirmed, 0 in the mempool or inactive, negative when a block holds a conflicting spend. */
  depth(txid: string): number {
    const d = this.chain.depth(txid);
    if (d !== undefined) return d;
    const t = this.chain.txs.get(txid)!;
    for (let i = 0; i < t.tx.inputsLength && !t.coinbase; i++) {
      const input = t.tx.getInput(i);
      const spender = this.chain.spentBy.get(outpoint(hex.encode(input.txid!), input.index!));
      const sd = spender ? this.chain.depth(spender) : undefined;
      if (sd !== undefined && sd > 0) return -sd;
    }
    return 0;
  }

  /** Conflicting wallet transactions (spending an input this one spends). */
  conflicts(txid: string): string[] {
    const t = this.chain.txs.get(txid)!;
    if (t.coinbase) return [];
    const ins = new Set<string>();
    for (let i = 0; i < t.tx.inputsLength; i++) { const x = t.tx.getInput(i); ins.add(outpoint(hex.encode(x.txid!), x.index!)); }
    const out: string[] = [];
    for (const other of this.txs.keys()) {
      if (other === txid) continue;
      const o = this.chain.txs.get(other)!;
      if (o.coinbase) continue;
      for (let i = 0; i < o.tx.inputsLength; i++) { const x = o.tx.getInput(i); if (ins.has(outpoint(hex.encode(x.txid!), x.index!))) { out.push(other); break; } }
    }
    return out;
  }

  /** Our unspent outputs in the active chain or the mempool. */
  coins(): Coin[] {
    const out: Coin[] = [];
    for (const txid of this.txs.keys()) {
      const depth = this.chain.depth(txid);
      if (depth === undefined) continue;
      const t = this.chain.txs.get(txid)!;
      for (let o = 0; o < t.tx.outputsLength; o++) {
        const output = t.tx.getOutput(o);
        const own = this.owns(output.script!);
        if (!own || this.chain.spentBy.has(outpoint(txid, o))) continue;
        out.push({ txid, vout: o, amount: output.amount!, script: output.script!, depth, own });
      }
    }
    return out;
  }

  /** Spendable: confirmed (a coinbase once mature), or our own unconfirmed change. */
  spendable(c: Coin): boolean {
    const t = this.chain.txs.get(c.txid)!;
    if (t.coinbase) return c.depth >= 100;
    return c.depth >= 1 || (c.depth === 0 && this.inputsOurs(t).every(Boolean) && t.tx.inputsLength > 0);
  }

  balances(): { trusted: bigint; untrusted_pending: bigint; immature: bigint } {
    const b = { trusted: 0n, untrusted_pending: 0n, immature: 0n };
    for (const c of this.coins()) {
      if (this.chain.txs.get(c.txid)!.coinbase && c.depth < 100) b.immature += c.amount;
      else if (this.spendable(c)) b.trusted += c.amount;
      else b.untrusted_pending += c.amount;
    }
    return b;
  }

  /** Estimated weight of spending one of our coins (a dummy 72-byte signature, as Core assumes). */
  private inputWeight(c: { own: { d: WalletDescriptor } }): number {
    const d = c.own.d.deriver.descriptor;
    if (d.type === 'wpkh') return 41 * 4 + 108;
    if (d.type === 'tr') return 41 * 4 + 66;
    const n = d.keys.length;
    const scriptLen = 3 + 34 * n;
    return 41 * 4 + 1 + 1 + d.m! * 73 + (scriptLen < 253 ? 1 : 3) + scriptLen;
  }

  /** walletcreatefundedpsbt: largest coins first until outputs + fee are covered; change at the end. */
  fund(outputs: Array<{ script: Uint8Array; amount: bigint }>, opts: { feeRate: number; lockUnspents: boolean; inputs?: Coin[]; changeType?: 'wpkh' | 'tr' }): { tx: btc.Transaction; fee: bigint; changepos: number } {
    const outSum = outputs.reduce((s, o) => s + o.amount, 0n);
    const changeScript = btc.Address(this.network).decode(this.newAddress(opts.changeType ?? this.defaultType(), true));
    const changeOut = btc.OutScript.encode(changeScript);
    const baseWeight = (10 + outputs.reduce((s, o) => s + outputVbytes(o.script), 0)) * 4 + 2;
    const chosen: Coin[] = [...(opts.inputs ?? [])];
    const candidates = this.coins().filter((c) => this.spendable(c) && !this.locked.has(outpoint(c.txid, c.vout)) && !chosen.some((x) => x.txid === c.txid && x.vout === c.vout))
      .sort((a, b) => (a.amount === b.amount ? 0 : a.amount > b.amount ? -1 : 1));
    const feeFor = (weight: number) => BigInt(Math.ceil(opts.feeRate * Math.ceil(weight / 4)));
    let inSum = chosen.reduce((s, c) => s + c.amount, 0n);
    let weight = baseWeight + chosen.reduce((s, c) => s + this.inputWeight(c), 0);
    for (const c of candidates) {
      if (chosen.length && inSum >= outSum + feeFor(weight)) break;
      chosen.push(c); inSum += c.amount; weight += this.inputWeight(c);
    }
    if (inSum < outSum + feeFor(weight)) throw new RpcError(-4, 'Insufficient funds');
    const withChange = weight + outputVbytes(changeOut) * 4;
    const change = inSum - outSum - feeFor(withChange);
    const tx = new btc.Transaction({ ...txOpts, version: 2 });
    for (const c of chosen) tx.addInput(this.psbtInput(c));
    for (const o of outputs) tx.addOutput({ script: o.script, amount: o.amount });
    let changepos = -1;
    if (change >= dustLimitSat(changeOut)) changepos = tx.addOutput({ script: changeOut, amount: change });
    if (opts.lockUnspents) for (const c of chosen) this.locked.add(outpoint(c.txid, c.vout));
    return { tx, fee: inSum - outSum - (changepos >= 0 ? change : 0n), changepos };
  }

  defaultType(): 'wpkh' | 'tr' {
    return this.descriptors.find((d) => d.active && !d.internal)?.deriver.descriptor.type === 'tr' ? 'tr' : 'wpkh';
  }

  /** A PSBT input for one of our coins: the spent output, keys' origins, scripts; RBF signalled. */
  psbtInput(c: Coin) {
    const d = c.own.d.deriver;
    const type = d.descriptor.type;
    const derived = d.derive(c.own.index);
    const origins = derived.pubkeys.map((pk, k) => [pk, d.origin(c.own.index, k)] as [Uint8Array, { fingerprint: number; path: number[] }]);
    return {
      txid: hex.decode(c.txid), index: c.vout, sequence: 0xfffffffd,
      witnessUtxo: { script: c.script, amount: c.amount },
      ...(type === 'tr' ? { tapInternalKey: derived.pubkeys[0]!.slice(1) } : { bip32Derivation: origins }),
      ...(derived.witnessScript ? { witnessScript: derived.witnessScript } : {}),
    };
  }

  /** walletprocesspsbt: signs every input it holds a key for; true when every input is signed. */
  sign(tx: btc.Transaction): void {
    if (this.privateKeysDisabled) return;
    for (let i = 0; i < tx.inputsLength; i++) {
      const input = tx.getInput(i);
      const own = input.witnessUtxo && this.owns(input.witnessUtxo.script);
      if (!own) continue;
      const keys = own.d.deriver.descriptor.keys;
      for (let k = 0; k < keys.length; k++) {
        if (!keys[k]!.key.privateKey) continue;
        tx.signIdx(own.d.deriver.privateKey(own.index, k), i);
      }
    }
  }
}
