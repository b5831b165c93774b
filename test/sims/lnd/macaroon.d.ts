// Types for the `macaroon` package (libmacaroons' V2 format, HMAC chain), which ships none. Only
// what test/sims/lnd/macaroons.ts uses.
declare module 'macaroon' {
  export interface Macaroon {
    readonly identifier: Uint8Array;
    readonly signature: Uint8Array;
    readonly caveats: Array<{ identifier: Uint8Array; location?: string; vid?: Uint8Array }>;
    addFirstPartyCaveat(condition: string | Uint8Array): void;
    /** Throws unless the signature chain holds and `check` returns null for every first-party caveat. */
    verify(rootKey: Uint8Array, check: (condition: string) => string | null, discharges?: Macaroon[]): void;
    exportBinary(): Uint8Array;
  }
  export function newMacaroon(args: { identifier: Uint8Array | string; location?: string; rootKey: Uint8Array | string; version?: 1 | 2 }): Macaroon;
  /** Binary V2 (a Uint8Array), base64 of it, or the JSON forms. */
  export function importMacaroon(data: Uint8Array | string | object): Macaroon;
}
