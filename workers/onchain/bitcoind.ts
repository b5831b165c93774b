// The Chain port on Bitcoin Core's JSON-RPC, through the `bitcoin-core` package. Its quirks,
// each handled here: it is CommonJS; it sends a call to /wallet/<name> only for the methods it
// lists as wallet methods (invalidateblock, for one, goes to `/`), so one client per wallet;
// it parses numbers of more than 15 digits as strings, so every amount is read with btcToSat
// (number or string) and checked with zod; it takes positional parameters unless given a
// version, so calls are positional. Auth: user and password, or the cookie file (read again
// after a 401: bitcoind writes a new one at each start). Descriptor wallets only.
import { readFile } from 'node:fs/promises';
import Client from 'bitcoin-core';
import { z } from 'zod';
import { btcToSat, satToBtc } from '../../core/onchain/network.ts';
import { ChainError, type ChainBackend, type ChainErrorCode, type Outpoint, type WalletEntry, type WalletRole } from './port.ts';

export interface BitcoindOptions {
  /** The RPC URL, or where to read it (the embedded node's file). */
  url: string | (() => Promise<string>);
  user?: string;
  password?: string;
  cookieFile?: string;
  wallet: string;
  coldWallet: string;
  timeoutMs?: number;
  kind?: 'embedded' | 'bitcoind';
}

const sat = z.union([z.number(), z.string()]).transform((v) => btcToSat(v));
const entry = z.object({
  txid: z.string().regex(/^[0-9a-f]{64}$/), vout: z.number().int().min(0), address: z.string().optional(),
  category: z.enum(['receive', 'send', 'generate', 'immature', 'orphan']), amount: sat, confirmations: z.number().int(),
  blockhash: z.string().optional(),
}).transform((e): WalletEntry => ({ txid: e.txid, vout: e.vout, address: e.address ?? '', category: e.category, amountSat: e.amount < 0n ? -e.amount : e.amount, confirmations: e.confirmations, blockHash: e.blockhash }));
const sinceBlock = z.object({ transactions: z.array(entry), removed: z.array(entry).default([]), lastblock: z.string() });
const walletTx = z.object({ txid: z.string(), confirmations: z.number().int(), fee: sat.optional(), replaced_by_txid: z.string().optional(), blockhash: z.string().optional(), hex: z.string() });
const balances = z.object({ mine: z.object({ trusted: sat, untrusted_pending: sat }) });
const descriptors = z.object({ descriptors: z.array(z.object({ desc: z.string(), active: z.boolean().optional(), internal: z.boolean().optional() })) });
const funded = z.object({ psbt: z.string(), fee: sat, changepos: z.number().int() });
const processed = z.object({ psbt: z.string(), complete: z.boolean(), hex: z.string().optional() });
const chainInfo = z.object({ chain: z.string(), blocks: z.number().int(), bestblockhash: z.string(), initialblockdownload: z.boolean().optional() });

/** Bitcoin Core's RPC error codes → the port's. */
function codeOf(rpc: number, message: string): ChainErrorCode {
  if (rpc === -28) return 'warming_up';
  if (rpc === -18) return message.includes('not found') ? 'wallet_not_found' : 'wallet_not_loaded';
  if (rpc === -6 || /insufficient funds/i.test(message)) return 'insufficient_funds';
  if (rpc === -27) return 'already_in_chain';
  if (rpc === -25) return 'missing_inputs';
  if (rpc === -26) return 'rejected';
  if (rpc === -5) return /address/i.test(message) ? 'invalid_address' : 'not_found';
  if (rpc === -8 || rpc === -3) return 'invalid_parameter';
  return 'error';
}

export class BitcoindChain implements ChainBackend {
  readonly kind: 'embedded' | 'bitcoind';
  private readonly opts: BitcoindOptions;
  private clients?: { node: Client; hot: Client; cold: Client };

  constructor(opts: BitcoindOptions) {
    this.opts = opts;
    this.kind = opts.kind ?? 'bitcoind';
  }

  private async credentials(): Promise<{ username: string; password: string }> {
    if (this.opts.user !== undefined) return { username: this.opts.user, password: this.opts.password ?? '' };
    if (!this.opts.cookieFile) throw new ChainError('unavailable', 'no RPC credentials: set BITCOIND_RPC_USER/PASSWORD or BITCOIND_RPC_COOKIE');
    const text = (await readFile(this.opts.cookieFile, 'utf8')).trim();
    const i = text.indexOf(':');
    return { username: text.slice(0, i), password: text.slice(i + 1) };
  }

  private async connect(): Promise<{ node: Client; hot: Client; cold: Client }> {
    if (this.clients) return this.clients;
    const { username, password } = await this.credentials();
    const host = typeof this.opts.url === 'string' ? this.opts.url : await this.opts.url();
    const make = (wallet?: string) => new Client({ host, username, password, wallet, timeout: this.opts.timeoutMs ?? 30_000 });
    return this.clients = { node: make(), hot: make(this.opts.wallet), cold: make(this.opts.coldWallet) };
  }

  /** One RPC call; `target` picks the client (and so the /wallet/<name> path of wallet methods). */
  async call(target: 'node' | WalletRole, method: string, ...params: unknown[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const clients = await this.connect();
      try {
        return await clients[target].command(method, ...params);
      } catch (err) {
        const e = err as { code?: unknown; message?: string };
        // A new cookie (bitcoind restarted): read it again, once.
        if ((e.code === 401 || (e as { code?: string }).code === 'ECONNREFUSED') && this.opts.user === undefined && attempt === 0) { this.clients = undefined; continue; }
        if (typeof e.code === 'number' && e.code < 0) throw new ChainError(codeOf(e.code, e.message ?? ''), e.message ?? 'bitcoind error', e.code);
        throw new ChainError('unavailable', `bitcoind unreachable: ${e.message ?? String(err)}`);
      }
    }
  }

  async chainInfo() {
    const i = chainInfo.parse(await this.call('node', 'getblockchaininfo'));
    return { chain: i.chain, blocks: i.blocks, bestBlockHash: i.bestblockhash, initialBlockDownload: i.initialblockdownload ?? false };
  }

  private async open(wallet: string, create: unknown[]): Promise<void> {
    try {
      await this.call('node', 'loadwallet', wallet);
    } catch (err) {
      if (err instanceof ChainError && err.rpcCode === -35) return; // already loaded
      if (!(err instanceof ChainError && err.code === 'wallet_not_found')) throw err;
      await this.call('node', 'createwallet', wallet, ...create);
    }
  }

  async openWallet(): Promise<void> {
    // createwallet(name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors, load_on_startup)
    await this.open(this.opts.wallet, [false, false, '', false, true, true]);
  }

  async receiveDescriptors() {
    const { descriptors: list } = descriptors.parse(await this.call('hot', 'listdescriptors'));
    const active = list.filter((d) => d.active && !d.internal);
    return { p2wpkh: active.find((d) => d.desc.startsWith('wpkh('))?.desc, p2tr: active.find((d) => d.desc.startsWith('tr('))?.desc };
  }

  async refill(range: number): Promise<void> {
    await this.call('hot', 'keypoolrefill', range);
  }

  async listSinceBlock(wallet: WalletRole, blockHash: string | undefined, confirmations: number) {
    // listsinceblock(blockhash, target_confirmations, include_watchonly, include_removed, include_change)
    const r = sinceBlock.parse(await this.call(wallet, 'listsinceblock', blockHash ?? '', confirmations, true, true, false));
    return { transactions: r.transactions, removed: r.removed, lastBlock: r.lastblock };
  }

  async balances(wallet: WalletRole) {
    const b = balances.parse(await this.call(wallet, 'getbalances'));
    return { confirmedSat: b.mine.trusted, unconfirmedSat: b.mine.untrusted_pending };
  }

  async feeRate(target: number): Promise<number> {
    const r = z.object({ feerate: z.union([z.number(), z.string()]).optional(), errors: z.array(z.string()).optional() })
      .parse(await this.call('node', 'estimatesmartfee', target, 'conservative'));
    // BTC/kvB → sat/vB; no estimate yet (a fresh node) reads as the relay minimum.
    return r.feerate === undefined ? 1 : Math.max(1, Number(btcToSat(r.feerate)) / 1000);
  }

  async fundPsbt(wallet: WalletRole, outputs: Array<{ address: string; amountSat: bigint }>, feeRate: number) {
    // walletcreatefundedpsbt(inputs, outputs, locktime, options); amounts as exact decimal strings.
    const r = funded.parse(await this.call(wallet, 'walletcreatefundedpsbt', [], outputs.map((o) => ({ [o.address]: satToBtc(o.amountSat) })), 0,
      { fee_rate: feeRate, lockUnspents: true, replaceable: true }));
    return { psbt: r.psbt, feeSat: r.fee, changePos: r.changepos };
  }

  async signPsbt(psbt: string) {
    return processed.parse(await this.call('hot', 'walletprocesspsbt', psbt, true, 'ALL', true, true));
  }

  async combinePsbts(psbts: string[]): Promise<string> {
    return z.string().parse(await this.call('node', 'combinepsbt', psbts));
  }

  async finalizePsbt(psbt: string) {
    return z.object({ complete: z.boolean(), hex: z.string().optional() }).parse(await this.call('node', 'finalizepsbt', psbt, true));
  }

  async broadcast(hex: string): Promise<string> {
    return z.string().parse(await this.call('node', 'sendrawtransaction', hex));
  }

  async walletTx(wallet: WalletRole, txid: string) {
    try {
      const t = walletTx.parse(await this.call(wallet, 'gettransaction', txid, true, false));
      return { txid: t.txid, confirmations: t.confirmations, feeSat: t.fee === undefined ? undefined : (t.fee < 0n ? -t.fee : t.fee), replacedBy: t.replaced_by_txid, blockHash: t.blockhash, hex: t.hex };
    } catch (err) {
      if (err instanceof ChainError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  async bumpPsbt(txid: string, feeRate: number) {
    const r = z.object({ psbt: z.string(), fee: sat }).parse(await this.call('hot', 'psbtbumpfee', txid, { fee_rate: feeRate }));
    return { psbt: r.psbt, feeSat: r.fee };
  }

  async lockedCoins(): Promise<Outpoint[]> {
    return z.array(z.object({ txid: z.string(), vout: z.number().int() })).parse(await this.call('hot', 'listlockunspent'));
  }

  async unlock(coins: Outpoint[]): Promise<void> {
    if (coins.length) await this.call('hot', 'lockunspent', true, coins);
  }

  async importCold(receive: string, change: string, range: number): Promise<void> {
    await this.open(this.opts.coldWallet, [true, true, '', false, true, true]);
    const results = z.array(z.object({ success: z.boolean(), error: z.object({ message: z.string() }).optional() })).parse(await this.call('cold', 'importdescriptors', [
      { desc: receive, active: true, internal: false, range: [0, range - 1], timestamp: 'now' },
      { desc: change, active: true, internal: true, range: [0, range - 1], timestamp: 'now' },
    ]));
    const failed = results.find((r) => !r.success);
    if (failed) throw new ChainError('invalid_parameter', `importdescriptors: ${failed.error?.message ?? 'failed'}`);
  }

  async newAddress(wallet: WalletRole): Promise<string> {
    return z.string().parse(await this.call(wallet, 'getnewaddress'));
  }

  async changeAddress(wallet: WalletRole): Promise<string> {
    return z.string().parse(await this.call(wallet, 'getrawchangeaddress'));
  }

  async isMine(wallet: WalletRole, address: string): Promise<boolean> {
    return z.object({ ismine: z.boolean() }).parse(await this.call(wallet, 'getaddressinfo', address)).ismine;
  }

  async close(): Promise<void> {
    this.clients = undefined;
  }
}
