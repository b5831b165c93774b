// Types for the part of `bcrypto` (native libsecp256k1 bindings) that core/nostr uses; the
// package ships none. Keys, messages and signatures are Buffers.
declare module 'bcrypto/lib/schnorr.js' {
  /** BIP-340 over secp256k1; public keys are 32-byte x-only. */
  const schnorr: {
    privateKeyGenerate(): Buffer;
    publicKeyCreate(key: Buffer): Buffer;
    publicKeyVerify(key: Buffer): boolean;
    sign(msg: Buffer, key: Buffer, aux?: Buffer): Buffer;
    verify(msg: Buffer, sig: Buffer, key: Buffer): boolean;
    /** ECDH with an x-only key lifted to even y: the shared point's x coordinate (32 bytes). */
    derive(pub: Buffer, priv: Buffer): Buffer;
  };
  export default schnorr;
}


// ECDSA keys over secp256k1 (core/onchain/descriptor.ts: BIP-32 public derivation, taproot tweaks).
declare module 'bcrypto/lib/secp256k1.js' {
  const secp256k1: {
    publicKeyCreate(key: Buffer, compressed?: boolean): Buffer;
    /** key + tweak·G; throws when the tweak is out of range or the sum is infinity. */
    publicKeyTweakAdd(key: Buffer, tweak: Buffer, compressed?: boolean): Buffer;
  };
  export default secp256k1;
}
