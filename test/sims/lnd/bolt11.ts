// BOLT 11 payment requests for the simulated nodes: encoded and parsed by the `invoices`
// package (which ships no types, hence the typed subset below), signed with @noble/curves.
import { createRequire } from 'node:module';
import { secp256k1 } from '@noble/curves/secp256k1.js';

interface ParsedRequest {
  id: string;
  destination: string;
  network: string;
  mtokens?: string;
  payment?: string;
  description?: string;
  description_hash?: string;
  created_at: string;
  expires_at: string;
  cltv_delta: number;
  features: Array<{ bit: number; is_required: boolean; type: string }>;
}

interface InvoicesLib {
  createUnsignedRequest(args: {
    network: string; id: string; destination: string; payment: string; mtokens?: string;
    description?: string; description_hash?: string; created_at: string; expires_at: string;
    cltv_delta: number; features: Array<{ bit: number }>;
  }): { hash: string; hrp: string; tags: number[] };
  createSignedRequest(args: { destination: string; hrp: string; signature: string; tags: number[] }): { request: string };
  parsePaymentRequest(args: { request: string }): ParsedRequest;
}

const lib = createRequire(import.meta.url)('invoices') as InvoicesLib;

/** What LND puts in its invoices: var_onion_optin, payment_secret (required), basic_mpp. */
export const invoiceFeatures = [9, 14, 17];

export interface RequestFields {
  network: string;
  paymentHash: Buffer;
  paymentAddr: Buffer;
  amountMsat: bigint;
  memo: string;
  descriptionHash: Buffer;
  createdAt: number;
  expirySeconds: number;
  cltvDelta: number;
}

/** A payment request signed by the node key: a description hash replaces the memo, as in LND. */
export function encodeRequest(secretKey: Uint8Array, f: RequestFields): string {
  const destination = Buffer.from(secp256k1.getPublicKey(secretKey, true)).toString('hex');
  const unsigned = lib.createUnsignedRequest({
    network: f.network,
    id: f.paymentHash.toString('hex'),
    destination,
    payment: f.paymentAddr.toString('hex'),
    mtokens: f.amountMsat > 0n ? f.amountMsat.toString() : undefined,
    ...(f.descriptionHash.length ? { description_hash: f.descriptionHash.toString('hex') } : { description: f.memo }),
    created_at: new Date(f.createdAt * 1000).toISOString(),
    expires_at: new Date((f.createdAt + f.expirySeconds) * 1000).toISOString(),
    cltv_delta: f.cltvDelta,
    features: invoiceFeatures.map((bit) => ({ bit })),
  });
  const signature = secp256k1.sign(Buffer.from(unsigned.hash, 'hex'), secretKey, { prehash: false });
  return lib.createSignedRequest({ destination, hrp: unsigned.hrp, signature: Buffer.from(signature).toString('hex'), tags: unsigned.tags }).request;
}

/** Parses and checks the signature; throws on anything malformed. */
export const parseRequest = (request: string): ParsedRequest => lib.parsePaymentRequest({ request });
