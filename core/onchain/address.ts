// Withdrawal addresses: every form (base58 P2PKH/P2SH, bech32 v0, bech32m v1+), checksum and
// network checked; the output script and its size decide the dust limit and the fee share.
import * as btc from '@scure/btc-signer';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { PaymentError } from '../payments/errors.ts';
import { networks, type ChainNetwork } from './network.ts';
import type { Config } from '../config.ts';

export interface ParsedAddress {
  address: string;
  type: 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'witness_unknown';
  script: Uint8Array;
}

const base58check = createBase58check(sha256);

/** Which network an address belongs to, when it is valid for one; undefined when it is not an address at all. */
function networkOf(address: string): string[] | undefined {
  const lower = address.toLowerCase();
  const hrp = /^(bc|tb|bcrt)1/.exec(lower)?.[1];
  if (hrp) {
    try {
      const coder = lower[hrp.length + 1] === 'q' ? bech32 : bech32m;
      coder.decode(lower as `${string}1${string}`, 90);
      return Object.entries(networks).filter(([, n]) => n.bech32 === hrp).map(([name]) => name);
    } catch { return undefined; }
  }
  try {
    const version = base58check.decode(address)[0];
    return Object.entries(networks).filter(([, n]) => n.pubKeyHash === version || n.scriptHash === version).map(([name]) => name);
  } catch { return undefined; }
}

/** Parses a withdrawal address for `network`; refusals are PaymentErrors (nothing reserved). */
export function parseAddress(input: string, network: Config['NETWORK']): ParsedAddress {
  const address = input.trim().replace(/^bitcoin:/i, '').split('?')[0]!;
  const net: ChainNetwork = networks[network];
  let decoded: ReturnType<ReturnType<typeof btc.Address>['decode']>;
  try {
    decoded = btc.Address(net).decode(address);
  } catch {
    const other = networkOf(address);
    if (other?.length && !other.includes(network)) throw new PaymentError('wrong_network', `this is a ${other[0] === 'mainnet' ? 'mainnet' : other.join('/')} address; this service runs on ${network}`);
    throw new PaymentError('invalid_request', 'not a valid bitcoin address (checksum or format)');
  }
  const script = btc.OutScript.encode(decoded);
  const type = decoded.type === 'pkh' ? 'p2pkh' : decoded.type === 'sh' ? 'p2sh' : decoded.type === 'wpkh' ? 'p2wpkh'
    : decoded.type === 'wsh' ? 'p2wsh' : decoded.type === 'tr' ? 'p2tr' : 'witness_unknown';
  // Bitcoin Core writes bech32 in lower case; an all-upper-case one (QR codes) is the same address.
  return { address: /^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : address, type, script };
}

/** An output's size in virtual bytes: 8 (amount) + 1 (script length) + the script. */
export const outputVbytes = (script: Uint8Array) => 9 + script.length;

/** Bitcoin Core's dust limit for an output (at its default dust relay fee of 3 sat/vB). */
export function dustLimitSat(script: Uint8Array): bigint {
  const isWitness = script.length >= 4 && script.length <= 42 && (script[0] === 0 || (script[0]! >= 0x51 && script[0]! <= 0x60)) && script[1] === script.length - 2;
  const spendSize = isWitness ? 32 + 4 + 1 + 26 + 4 : 32 + 4 + 1 + 107 + 4;
  return BigInt((outputVbytes(script) + spendSize) * 3);
}
