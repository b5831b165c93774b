// Nostr keys: parsing what people type (npub, nprofile, hex), bot keys from config or sealed
// in the secret store, and a signer over a local key.
import { hexToBytes } from '@noble/hashes/utils.js';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { PlainKeySigner, type Signer } from 'nostr-tools/signer';
import * as nip19 from 'nostr-tools/nip19';
import schnorr from 'bcrypto/lib/schnorr.js';
import { CodedError } from '../errors.ts';
import type { SecretStore } from '../secrets.ts';

export type { Signer };
export { generateSecretKey, getPublicKey };

/** Why a key was refused, for callers that word it themselves (the DM bot, in three languages). */
export type KeyErrorCode = 'malformed' | 'bad-length' | 'bad-bech32' | 'wrong-type' | 'secret-key' | 'not-on-curve';

export class KeyError extends CodedError<KeyErrorCode> {
  override name = 'KeyError';
}

const HEX64 = /^[0-9a-f]{64}$/i;

/** True when `hex` is the x coordinate of a point on secp256k1 (a usable BIP-340 key); native, as the signature checks. */
const onCurve = (hex: string): boolean => schnorr.publicKeyVerify(Buffer.from(hex, 'hex'));

function decodeBech32(input: string): nip19.DecodedResult {
  try {
    return nip19.decode(input);
  } catch {
    throw new KeyError('bad-bech32', `"${input.slice(0, 16)}…" is not valid bech32 (typo or truncated?)`);
  }
}

/**
 * A public key given as npub, nprofile, 64 hex characters, or any of them after `nostr:`,
 * as lowercase hex. Errors say what was wrong, and refuse secret keys loudly.
 */
export function parsePubkey(input: string): string {
  const s = input.trim().replace(/^nostr:/i, '');
  let hex: string;
  if (HEX64.test(s)) hex = s.toLowerCase();
  else if (/^nsec1/i.test(s)) throw new KeyError('secret-key', 'that is a secret key (nsec): never share it; give the npub instead');
  else if (/^(npub1|nprofile1)/i.test(s)) {
    const d = decodeBech32(s.toLowerCase());
    if (d.type === 'npub') hex = d.data;
    else if (d.type === 'nprofile') hex = d.data.pubkey;
    else throw new KeyError('wrong-type', `expected an npub or nprofile, got ${d.type}`);
  } else if (/^[0-9a-f]*$/i.test(s) && s.length > 0) {
    throw new KeyError('bad-length', `a hex public key has 64 characters, this one has ${s.length}`);
  } else {
    throw new KeyError('malformed', 'not a public key: expected npub1…, nprofile1… or 64 hex characters');
  }
  if (!onCurve(hex)) throw new KeyError('not-on-curve', 'not a valid public key (not a point on secp256k1)');
  return hex;
}

/** A secret key given as nsec or 64 hex characters. Messages never echo the key. */
export function parseSecretKey(input: string): Uint8Array {
  const s = input.trim();
  let key: Uint8Array;
  if (HEX64.test(s)) key = hexToBytes(s.toLowerCase());
  else if (/^nsec1/i.test(s)) {
    let d: nip19.DecodedResult;
    try {
      d = nip19.decode(s.toLowerCase());
    } catch {
      throw new KeyError('bad-bech32', 'the nsec is not valid bech32 (typo or truncated?)');
    }
    if (d.type !== 'nsec') throw new KeyError('wrong-type', 'expected an nsec');
    key = d.data;
  } else throw new KeyError('malformed', 'not a secret key: expected nsec1… or 64 hex characters');
  try {
    getPublicKey(key);
  } catch {
    throw new KeyError('not-on-curve', 'secret key out of range for secp256k1');
  }
  return key;
}

export const npub = (pubkey: string): string => nip19.npubEncode(pubkey);

/** A key the service signs with: its secret, public key (hex and npub) and a signer. */
export interface KeyPair {
  secretKey: Uint8Array;
  pubkey: string;
  npub: string;
  signer: Signer;
}

export function keyPair(secretKey: Uint8Array): KeyPair {
  const pubkey = getPublicKey(secretKey);
  return { secretKey, pubkey, npub: npub(pubkey), signer: new PlainKeySigner(secretKey) };
}

/** Secret-store name of a bot's key. */
const botSecretName = (bot: string) => `bot:${bot}`;

/**
 * A bot's key: the configured nsec/hex when given, else one generated on first start and
 * kept sealed in the secret store (concurrent first starts agree on one key).
 */
export async function loadBotKey(secrets: SecretStore, bot: string, configured?: string): Promise<KeyPair> {
  if (configured) return keyPair(parseSecretKey(configured));
  return keyPair(await secrets.getOrCreate(botSecretName(bot), generateSecretKey));
}

/** Public keys of every bot: the configured keys and those kept in the secret store. */
export async function botPubkeys(secrets: SecretStore, configured: Array<string | undefined>): Promise<string[]> {
  const stored = await Promise.all((await secrets.names(botSecretName(''))).map((name) => secrets.get(name)));
  return [...configured.filter((k) => k !== undefined).map(parseSecretKey), ...stored.filter((k) => k !== undefined)].map(getPublicKey);
}

/** The bot's key if it exists already (configured or stored); never creates one. */
export async function findBotKey(secrets: SecretStore, bot: string, configured?: string): Promise<KeyPair | undefined> {
  if (configured) return keyPair(parseSecretKey(configured));
  const stored = await secrets.get(botSecretName(bot));
  return stored && keyPair(stored);
}
