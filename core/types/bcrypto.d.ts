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

