// The DM messenger's cache of users' DM relay lists is bounded: strangers writing to the bot
// cannot grow it without limit, and what it drops is looked up again.
import { DirectMessageRelaysList } from 'nostr-tools/kinds';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Messenger } from '../../bots/dm/messenger.ts';
import { createLogger } from '../../core/log.ts';
import { localBotKey } from '../../core/nostr/bot-key.ts';
import { keyPair } from '../../core/nostr/keys.ts';
import { RelayPool } from '../../core/nostr/pool.ts';
import { Outbound } from '../../core/outbound.ts';
import { MiniRelay } from '../support/mini-relay.ts';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
let relay: MiniRelay;
let pool: RelayPool;
const outbound = new Outbound({ allow: ['127.0.0.0/8'] });
beforeAll(async () => {
  relay = await MiniRelay.start();
  pool = new RelayPool({ relays: [relay.url], log, outbound });
});
afterAll(async () => {
  pool?.close();
  await relay?.stop();
  outbound.close();
});

const announce = async (secret: Uint8Array, url: string, at: number) => {
  await pool.publish(finalizeEvent({ kind: DirectMessageRelaysList, created_at: at, tags: [['relay', url]], content: '' }, secret));
};

it('keeps at most cacheMax relay lists, the least recently used dropped first', async () => {
  await expect.poll(() => pool.status()[0]?.connected).toBe(true);
  const messenger = new Messenger({ pool, key: localBotKey(keyPair(generateSecretKey())), log, lookupTimeoutMs: 2000, cacheMax: 2 });
  const [a, b, c] = [generateSecretKey(), generateSecretKey(), generateSecretKey()];
  const now = Math.floor(Date.now() / 1000);
  await announce(a, 'wss://one.example', now - 10);
  expect(await messenger.dmRelays(getPublicKey(a))).toEqual(['wss://one.example']);
  await announce(a, 'wss://two.example', now);
  // Still cached: the old list.
  expect(await messenger.dmRelays(getPublicKey(a))).toEqual(['wss://one.example']);
  await messenger.dmRelays(getPublicKey(b));
  await messenger.dmRelays(getPublicKey(c));
  // a was dropped to make room, so it is looked up again.
  expect(await messenger.dmRelays(getPublicKey(a))).toEqual(['wss://two.example']);
});
