// Types for the `invoices` package (BOLT 11 encode, sign, parse), which ships none. Only what
// core/lightning/bolt11.ts uses.
declare module 'invoices' {
  export function createUnsignedRequest(args: {
    cltv_delta?: number;
    created_at?: string;
    description?: string;
    description_hash?: string;
    destination?: string;
    expires_at?: string;
    features: Array<{ bit: number }>;
    id: string;
    mtokens?: string;
    network: string;
    payment?: string;
  }): { hash: string; hrp: string; preimage: string; tags: number[] };

  export function createSignedRequest(args: { destination: string; hrp: string; signature: string; tags: number[] }): { request: string };

  export function parsePaymentRequest(args: { request: string }): {
    cltv_delta: number;
    created_at: string;
    description?: string;
    description_hash?: string;
    destination: string;
    expires_at: string;
    id: string;
    is_expired: boolean;
    mtokens?: string;
    network: string;
    payment?: string;
  };
}
