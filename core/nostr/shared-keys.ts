// Per-peer shared secrets (NIP-44 conversation keys, NIP-04 AES keys), each an ECDH that
// costs as much as verifying a signature. Bots answer the same peers again and again, so
// both are kept in a bounded LRU keyed by (our key, their pubkey) and used for decrypting
// requests and encrypting replies alike.
import { bytesToHex } from '@noble/hashes/utils.js';
import { nip44ConversationKey } from './ecdh.ts';
import { nip04SharedSecret } from './nip04.ts';

const CAPACITY = 10_000;

/** Map that forgets the least recently used entry past its capacity. */
class Lru<V> {
  readonly #items = new Map<string, V>();
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  get(key: string, make: () => V): V {
    let value = this.#items.get(key);
    if (value !== undefined) this.#items.delete(key);
    else value = make();
    this.#items.set(key, value);
    if (this.#items.size > this.#capacity) this.#items.delete(this.#items.keys().next().value!);
    return value;
  }
}

const nip44Keys = new Lru<Uint8Array>(CAPACITY);
const nip04Keys = new Lru<Uint8Array>(CAPACITY);

/** NIP-44 v2 conversation key between `secretKey` and `pubkey` (x-only hex), cached. */
export function conversationKey(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return nip44Keys.get(bytesToHex(secretKey) + pubkey, () => nip44ConversationKey(secretKey, pubkey));
}

/** NIP-04 shared secret between `secretKey` and `pubkey` (x-only hex), cached. */
export function nip04Key(secretKey: Uint8Array, pubkey: string): Uint8Array {
  return nip04Keys.get(bytesToHex(secretKey) + pubkey, () => nip04SharedSecret(secretKey, pubkey));
}
