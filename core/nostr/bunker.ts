// A bot key held by a NIP-46 remote signer (a "bunker"), reached through NDK's NIP-46 signer.
// Requests travel as kind-24133 events, which relays do not store: one sent while the signer
// restarts is lost, so each call is sent again after `timeoutMs`, a few times, before failing.
import NDK, { NDKNip46Signer, NDKPrivateKeySigner, NDKUser } from '@nostr-dev-kit/ndk';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EventTemplate, VerifiedEvent } from 'nostr-tools/pure';
import { z } from 'zod';
import { CodedError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RemoteKey } from './dm.ts';
import { eventHash, verifyEvent } from './secp.ts';

export class BunkerError extends CodedError<'invalid-url' | 'unavailable' | 'refused' | 'bad-answer'> {
  override name = 'BunkerError';
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** `bunker://<signer pubkey>?relay=wss://…&relay=…&secret=…` (NIP-46). */
export function parseBunkerUrl(url: string): { pubkey: string; relays: string[]; secret?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BunkerError('invalid-url', 'BOT_DM_SIGNER is not a URL');
  }
  const relays = u.searchParams.getAll('relay');
  if (u.protocol !== 'bunker:' || !hex64.safeParse(u.hostname).success) throw new BunkerError('invalid-url', 'BOT_DM_SIGNER must be bunker://<signer pubkey hex>?relay=…');
  if (!relays.length || relays.some((r) => !/^wss?:\/\//.test(r))) throw new BunkerError('invalid-url', 'BOT_DM_SIGNER needs at least one relay=ws(s)://… parameter');
  return { pubkey: u.hostname, relays, secret: u.searchParams.get('secret') ?? undefined };
}

export interface BunkerOptions {
  url: string;
  /** Our side of the NIP-46 conversation: kept, so the signer recognises us after a restart. */
  clientKey: Uint8Array;
  timeoutMs: number;
  attempts?: number;
  log: Logger;
}

export interface BunkerKey extends RemoteKey {
  close(): void;
}

/** Connects to the signer (NIP-46 `connect`) and learns the key it holds for us. */
export async function connectBunker(o: BunkerOptions): Promise<BunkerKey> {
  const { relays } = parseBunkerUrl(o.url);
  const ndk = new NDK({ explicitRelayUrls: relays });
  await ndk.connect(o.timeoutMs);
  const signer = NDKNip46Signer.bunker(ndk, o.url, new NDKPrivateKeySigner(bytesToHex(o.clientKey)));
  const attempts = o.attempts ?? 3;
  const close = () => {
    signer.stop();
    for (const relay of ndk.pool.relays.values()) relay.disconnect();
  };

  /** `call` again after each `timeoutMs` without an answer; the signer's own error is final. */
  async function ask<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), o.timeoutMs); });
      try {
        const answer = await Promise.race([call(), timeout]);
        if (answer !== 'timeout') return answer;
      } catch (err) {
        if (err instanceof BunkerError) throw err;
        throw new BunkerError('refused', `the signer refused ${what}: ${typeof err === 'string' ? err : (err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      if (i >= attempts) throw new BunkerError('unavailable', `the signer did not answer ${what} (${attempts} tries of ${o.timeoutMs} ms)`);
      o.log.warn({ what, attempt: i }, 'NIP-46 signer did not answer; asking again');
    }
  }

  let pubkey: string;
  try {
    pubkey = (await ask('connect', () => signer.blockUntilReady())).pubkey;
  } catch (err) {
    close();
    throw err;
  }
  const user = (peer: string) => new NDKUser({ pubkey: peer });
  return {
    pubkey,
    async sign(template: EventTemplate): Promise<VerifiedEvent> {
      const unsigned = { ...template, pubkey };
      const sig = await ask(`sign_event kind ${template.kind}`, () => signer.sign(unsigned));
      const event = { ...unsigned, id: eventHash(unsigned), sig };
      // Trust nothing the signer returns: a wrong signature would be refused by every relay later.
      if (!verifyEvent(event)) throw new BunkerError('bad-answer', 'the signer returned an invalid signature');
      return event as VerifiedEvent;
    },
    encrypt: (peer, text, scheme) => ask(`${scheme}_encrypt`, () => signer.encrypt(user(peer), text, scheme)),
    decrypt: (peer, content, scheme) => ask(`${scheme}_decrypt`, () => signer.decrypt(user(peer), content, scheme)),
    refused: (err) => err instanceof BunkerError && err.code === 'refused',
    close,
  };
}
