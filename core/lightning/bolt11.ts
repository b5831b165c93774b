// BOLT 11 payment requests through the `invoices` package: decode (signature checked) and,
// for the fake node, create and sign with a node key (ECDSA through libsecp256k1 in WASM,
// tiny-secp256k1, which the `invoices` package uses to check it too).
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { pointFromScalar, sign } from 'tiny-secp256k1';
import { createSignedRequest, createUnsignedRequest, parsePaymentRequest } from 'invoices';
import type { DecodedInvoice, Network } from './types.ts';
import { CodedError } from '../errors.ts';

/** The port's decoded invoice (the shape every Lightning adapter reports), plus the payment secret. */
export interface Bolt11 extends DecodedInvoice {
  paymentSecret?: string;
}

export class Bolt11Error extends CodedError<'invalid_invoice'> {
  override name = 'Bolt11Error';
  constructor(message: string) {
    super('invalid_invoice', message);
  }
}

const networkNames: Record<string, Network> = { bitcoin: 'mainnet', testnet: 'testnet', signet: 'signet', regtest: 'regtest' };
const packageNetwork: Record<Network, string> = { mainnet: 'bitcoin', testnet: 'testnet', signet: 'signet', regtest: 'regtest' };

/** Features our invoices announce: var_onion_optin (8/9), payment_secret (14), basic_mpp (16). */
const FEATURES = [{ bit: 9 }, { bit: 14 }, { bit: 16 }];
const MAX_LENGTH = 7089;

// Decoding checks a signature (about a millisecond); a payment is decoded by the engine, the
// worker and the node, so recent results are kept. Decoding is a pure function of the string.
const decoded = new Map<string, Bolt11>();
const REMEMBER = 10_000;

export function decodeBolt11(paymentRequest: string): Bolt11 {
  const request = paymentRequest.trim().toLowerCase().replace(/^lightning:/, '');
  const known = decoded.get(request);
  if (known) return { ...known };
  const result = decodeUncached(request);
  if (decoded.size >= REMEMBER) decoded.delete(decoded.keys().next().value!);
  decoded.set(request, result);
  return { ...result };
}

function decodeUncached(request: string): Bolt11 {
  if (!request || request.length > MAX_LENGTH) throw new Bolt11Error('not a BOLT 11 payment request');
  let p: ReturnType<typeof parsePaymentRequest>;
  try {
    p = parsePaymentRequest({ request });
  } catch (err) {
    throw new Bolt11Error(`not a valid BOLT 11 payment request (${(err as Error).message})`);
  }
  const network = networkNames[p.network];
  if (!network) throw new Bolt11Error(`payment request for an unsupported network (${p.network})`);
  return {
    paymentHash: p.id,
    paymentRequest: request,
    network,
    destination: p.destination,
    amountMsat: p.mtokens && p.mtokens !== '0' ? BigInt(p.mtokens) : undefined,
    description: p.description,
    descriptionHash: p.description_hash,
    paymentSecret: p.payment,
    createdAt: new Date(p.created_at),
    expiresAt: new Date(p.expires_at),
    minFinalCltvExpiry: p.cltv_delta,
  };
}

export interface EncodeRequest {
  privateKey: Uint8Array;
  network: Network;
  paymentHash: string;
  paymentSecret: string;
  amountMsat?: bigint;
  description?: string;
  descriptionHash?: string;
  createdAt: Date;
  expirySeconds: number;
  cltvDelta: number;
}

// A node signs every invoice with the same key: its public key is derived once.
const publicKeys = new WeakMap<Uint8Array, string>();
const publicKeyOf = (privateKey: Uint8Array): string => {
  let key = publicKeys.get(privateKey);
  if (key === undefined) publicKeys.set(privateKey, (key = bytesToHex(pointFromScalar(privateKey, true)!)));
  return key;
};

/** A signed payment request. BOLT 11 requires a description or its hash: default is "". */
export function encodeBolt11(r: EncodeRequest): string {
  const destination = publicKeyOf(r.privateKey);
  const created = new Date(Math.floor(r.createdAt.getTime() / 1000) * 1000);
  const unsigned = createUnsignedRequest({
    network: packageNetwork[r.network],
    destination,
    id: r.paymentHash,
    payment: r.paymentSecret,
    mtokens: r.amountMsat?.toString(),
    ...(r.descriptionHash ? { description_hash: r.descriptionHash } : { description: r.description ?? '' }),
    created_at: created.toISOString(),
    expires_at: new Date(created.getTime() + r.expirySeconds * 1000).toISOString(),
    cltv_delta: r.cltvDelta,
    features: FEATURES,
  });
  const signature = sign(hexToBytes(unsigned.hash), r.privateKey);
  return createSignedRequest({ destination, hrp: unsigned.hrp, signature: bytesToHex(signature), tags: unsigned.tags }).request;
}
