// The Chain port: what the on-chain rail needs from a Bitcoin node and its wallets. One adapter,
// Bitcoin Core's JSON-RPC through the `bitcoin-core` package (bitcoind.ts), serves both Bitcoin
// Core and the embedded regtest node (embedded.ts), which speaks the same RPC in-process.
// Amounts are satoshi bigints; fee rates sat/vB.
import { CodedError } from '../../core/errors.ts';

export type ChainErrorCode =
  | 'unavailable' | 'warming_up' | 'wallet_not_loaded' | 'wallet_not_found' | 'not_found' | 'insufficient_funds'
  | 'rejected' | 'missing_inputs' | 'already_in_chain' | 'invalid_parameter' | 'invalid_address' | 'error';

export class ChainError extends CodedError<ChainErrorCode> {
  override name = 'ChainError';
  /** Bitcoin Core's own code, when the node answered. */
  readonly rpcCode?: number;
  constructor(code: ChainErrorCode, message: string, rpcCode?: number) {
    super(code, message);
    this.rpcCode = rpcCode;
  }
}

export interface WalletEntry {
  txid: string;
  vout: number;
  address: string;
  category: 'receive' | 'send' | 'generate' | 'immature' | 'orphan';
  amountSat: bigint;
  /** Negative: a conflicting transaction is in a block that deep. */
  confirmations: number;
  blockHash?: string;
}

export interface SinceBlock { transactions: WalletEntry[]; removed: WalletEntry[]; lastBlock: string }

export interface WalletTx { txid: string; confirmations: number; feeSat?: bigint; replacedBy?: string; blockHash?: string; hex: string }

export type WalletRole = 'hot' | 'cold';

export interface Outpoint { txid: string; vout: number }

export interface ChainBackend {
  readonly kind: 'embedded' | 'bitcoind';
  chainInfo(): Promise<{ chain: string; blocks: number; bestBlockHash: string; initialBlockDownload: boolean }>;
  /** Loads the hot wallet, creating it (a descriptor wallet with keys) when missing. */
  openWallet(): Promise<void>;
  /** The hot wallet's active public receive descriptors. */
  receiveDescriptors(): Promise<{ p2wpkh?: string; p2tr?: string }>;
  /** Extends the hot wallet's known range so that indices below `range` are watched (keypoolrefill). */
  refill(range: number): Promise<void>;
  /** Wallet transactions since a block (listsinceblock), and where to resume. */
  listSinceBlock(wallet: WalletRole, blockHash: string | undefined, confirmations: number): Promise<SinceBlock>;
  balances(wallet: WalletRole): Promise<{ confirmedSat: bigint; unconfirmedSat: bigint }>;
  feeRate(target: number): Promise<number>;
  /** A funded PSBT paying `outputs` (in order; change at `changePos`), its coins locked. */
  fundPsbt(wallet: WalletRole, outputs: Array<{ address: string; amountSat: bigint }>, feeRate: number): Promise<{ psbt: string; feeSat: bigint; changePos: number }>;
  signPsbt(psbt: string): Promise<{ complete: boolean; hex?: string; psbt: string }>;
  combinePsbts(psbts: string[]): Promise<string>;
  finalizePsbt(psbt: string): Promise<{ complete: boolean; hex?: string }>;
  /** Returns the txid; `already_in_chain` when it is mined already. */
  broadcast(hex: string): Promise<string>;
  walletTx(wallet: WalletRole, txid: string): Promise<WalletTx | undefined>;
  /** An unsigned replacement paying `feeRate` (psbtbumpfee), the change lowered. */
  bumpPsbt(txid: string, feeRate: number): Promise<{ psbt: string; feeSat: bigint }>;
  lockedCoins(): Promise<Outpoint[]>;
  unlock(coins: Outpoint[]): Promise<void>;
  /** Imports the cold wallet's watch-only descriptors (receive and change), creating the wallet. */
  importCold(receive: string, change: string, range: number): Promise<void>;
  newAddress(wallet: WalletRole): Promise<string>;
  /** A change address of the wallet (never one of the deposit addresses the service derives). */
  changeAddress(wallet: WalletRole): Promise<string>;
  /** Whether the wallet owns the address. */
  isMine(wallet: WalletRole, address: string): Promise<boolean>;
  close(): Promise<void>;
}
