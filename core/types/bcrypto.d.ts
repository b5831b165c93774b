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


// secp256k1 keys: the mint's curve arithmetic (core/mint/nut00.ts, nut12.ts) and BIP-32 public
// derivation and taproot tweaks (core/onchain/descriptor.ts). Points are compressed (33 bytes)
// unless `compress` is false; scalars are 32-byte big-endian.
declare module 'bcrypto/lib/secp256k1.js' {
  const secp256k1: {
    publicKeyCreate(key: Buffer, compress?: boolean): Buffer;
    publicKeyVerify(key: Buffer): boolean;
    publicKeyConvert(key: Buffer, compress?: boolean): Buffer;
    publicKeyTweakMul(key: Buffer, tweak: Buffer, compress?: boolean): Buffer;
    /** key + tweak·G; throws when the tweak is out of range or the sum is infinity. */
    publicKeyTweakAdd(key: Buffer, tweak: Buffer, compress?: boolean): Buffer;
    publicKeyCombine(keys: Buffer[], compress?: boolean): Buffer;
    publicKeyNegate(key: Buffer, compress?: boolean): Buffer;
  };
  export default secp256k1;
}
