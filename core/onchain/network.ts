// Bitcoin network parameters for addresses and extended keys, by the service's NETWORK.
import type { Config } from '../config.ts';

export interface ChainNetwork {
  bech32: string;
  pubKeyHash: number;
  scriptHash: number;
  wif: number;
  /** BIP-32 version bytes of extended keys (tpub/tprv on the test networks). */
  bip32: { public: number; private: number };
  /** BIP-44 coin type: 0 on mainnet, 1 on every test network. */
  coinType: number;
}

const testBip32 = { public: 0x043587cf, private: 0x04358394 };

export const networks: Record<Config['NETWORK'], ChainNetwork> = {
  mainnet: { bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80, bip32: { public: 0x0488b21e, private: 0x0488ade4 }, coinType: 0 },
  testnet: { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: testBip32, coinType: 1 },
  signet: { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: testBip32, coinType: 1 },
  regtest: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: testBip32, coinType: 1 },
};

/** Bitcoin Core's name for each network (getblockchaininfo's `chain`). */
export const coreChainNames: Record<Config['NETWORK'], string> = { mainnet: 'main', testnet: 'test', signet: 'signet', regtest: 'regtest' };

export const SAT = 1000n;
export const satToMsat = (sat: bigint) => sat * SAT;

/** Bitcoin Core's amounts (BTC, a JSON number, or a string when longer than 15 digits) → satoshis, exactly. */
export function btcToSat(value: number | string): bigint {
  const text = typeof value === 'number' ? value.toFixed(8) : value;
  const m = /^(-)?(\d+)(?:\.(\d{1,8}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a BTC amount: ${text}`);
  const sat = BigInt(m[2]!) * 100_000_000n + BigInt((m[3] ?? '').padEnd(8, '0'));
  return m[1] ? -sat : sat;
}

/** Satoshis → the BTC decimal string Bitcoin Core reads (amounts are sent as strings: exact). */
export function satToBtc(sat: bigint): string {
  const neg = sat < 0n;
  const abs = neg ? -sat : sat;
  return `${neg ? '-' : ''}${abs / 100_000_000n}.${(abs % 100_000_000n).toString().padStart(8, '0')}`;
}
