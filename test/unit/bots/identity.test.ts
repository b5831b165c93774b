import { generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.ts';
import { dmBot } from '../../../bots/dm/bot.ts';
import { botRelays } from '../../../core/nostr/relays.ts';
import { identityEvents, trustedRelays } from '../../../bots/identity.ts';
import { localBotKey } from '../../../core/nostr/bot-key.ts';
import { keyPair } from '../../../core/nostr/keys.ts';

describe('bot identity', () => {
  it('uses our own relay unless NOSTR_RELAYS says otherwise', () => {
    expect(botRelays(parseConfig({ RELAY_PORT: '9000' }))).toEqual(['ws://127.0.0.1:9000']);
    expect(botRelays(parseConfig({ NOSTR_RELAYS: 'wss://a.example, wss://b.example' }))).toEqual(['wss://a.example', 'wss://b.example']);
  });

  it('trusts only our own relay, and only over loopback or TLS, not to need signatures checked again', () => {
    expect(trustedRelays(parseConfig({ RELAY_PORT: '9000' }))).toEqual(['ws://127.0.0.1:9000']);
    expect(trustedRelays(parseConfig({ RELAY_URL: 'wss://relay.example/', NOSTR_RELAYS: 'wss://relay.example, wss://other.example' }))).toEqual(['wss://relay.example']);
    expect(trustedRelays(parseConfig({ RELAY_URL: 'ws://[::1]:9000', NOSTR_RELAYS: 'ws://[::1]:9000/,wss://other.example' }))).toEqual(['ws://[::1]:9000/']);
    // Plain ws:// over a network could be altered in transit; other relays are never trusted.
    expect(trustedRelays(parseConfig({ RELAY_URL: 'ws://relay.example', NOSTR_RELAYS: 'ws://relay.example' }))).toEqual([]);
    expect(trustedRelays(parseConfig({ RELAY_PORT: '9000', NOSTR_RELAYS: 'wss://other.example' }))).toEqual([]);
    for (const url of ['ws://10.0.0.5:7777', 'ws://127.0.0.1.evil.com:7777', 'ws://localhost.evil.com']) {
      expect(trustedRelays(parseConfig({ RELAY_URL: url, NOSTR_RELAYS: url })), url).toEqual([]);
    }
  });

  it('announces NIP-05 and lightning address only with a public URL', () => {
    expect(dmBot.profile(parseConfig({}))).toMatchObject({ name: 'Flash', nip05: undefined, lud16: undefined });
    expect(dmBot.profile(parseConfig({ PUBLIC_URL: 'https://pay.example.com:8443/', BOT_DM_USERNAME: 'wallet', BOT_DM_PICTURE: 'https://pay.example.com/bot.png' })))
      .toMatchObject({ nip05: 'wallet@pay.example.com', lud16: 'wallet@pay.example.com', picture: 'https://pay.example.com/bot.png' });
  });

  it('signs a profile, a DM relay list and a relay list', async () => {
    const sk = generateSecretKey();
    const events = await identityEvents({ name: 'Flash', about: 'hi', picture: undefined }, ['wss://a.example', 'ws://127.0.0.1:7777'], localBotKey(keyPair(sk)).signer, 1_700_000_000);
    expect(events.map((e) => e.kind)).toEqual([0, 10050, 10002]);
    expect(events.every((e) => verifyEvent(JSON.parse(JSON.stringify(e))) && e.pubkey === getPublicKey(sk) && e.created_at === 1_700_000_000)).toBe(true);
    expect(JSON.parse(events[0]!.content)).toEqual({ name: 'Flash', about: 'hi' });
    expect(events[1]!.tags).toEqual([['relay', 'wss://a.example'], ['relay', 'ws://127.0.0.1:7777']]);
    expect(events[2]!.tags).toEqual([['r', 'wss://a.example'], ['r', 'ws://127.0.0.1:7777']]);
  });
});
