// A bot key held by a NIP-46 signer: NDK's NIP-46 backend (a bunker) started here, talking over
// our relay; DMs opened and written through it; the signer restarted mid-way.
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { connectBunker, parseBunkerUrl, type BunkerKey } from '../../core/nostr/bunker.ts';
import { createDm, createDmVia, openDm, openDmVia } from '../../core/nostr/dm.ts';
import { startBunker } from '../support/bunker.ts';
import { startTestRelay, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
beforeAll(async () => { relay = await startTestRelay(); });
afterAll(async () => { await relay.close(); });

const log = createLogger({ level: 'silent' });

describe('NIP-46 bot key', { timeout: 60_000 }, () => {
  it('parses bunker URLs and refuses bad ones', () => {
    const pk = 'ab'.repeat(32);
    expect(parseBunkerUrl(`bunker://${pk}?relay=wss://r.example&relay=ws://127.0.0.1:1&secret=s3`)).toEqual({ pubkey: pk, relays: ['wss://r.example', 'ws://127.0.0.1:1'], secret: 's3' });
    expect(() => parseBunkerUrl(`bunker://${pk}`)).toThrow('needs at least one relay');
    expect(() => parseBunkerUrl(`nostrconnect://${pk}?relay=wss://r.example`)).toThrow('must be bunker://');
    expect(() => parseBunkerUrl('bunker://npub1?relay=wss://r.example')).toThrow('must be bunker://');
  });

  it('opens and writes NIP-04 and NIP-17 DMs through the signer, and keeps working when the signer restarts', async () => {
    const botKey = generateSecretKey();
    const botPubkey = getPublicKey(botKey);
    const userKey = generateSecretKey();
    const userPubkey = getPublicKey(userKey);
    let bunker = await startBunker(botKey, relay.url);
    const remote: BunkerKey = await connectBunker({ url: `bunker://${botPubkey}?relay=${encodeURIComponent(relay.url)}`, clientKey: generateSecretKey(), timeoutMs: 2000, attempts: 10, log });
    try {
      expect(remote.pubkey).toBe(botPubkey);
      for (const scheme of ['nip04', 'nip17'] as const) {
        const incoming = await openDmVia(createDm(scheme, userKey, botPubkey, `balance (${scheme})`), remote);
        expect(incoming).toMatchObject({ scheme, sender: userPubkey, text: `balance (${scheme})` });
        const reply = await createDmVia(scheme, remote, userPubkey, 'You have 21 sats', incoming.id);
        expect(openDm(reply, userKey)).toMatchObject({ scheme, sender: botPubkey, text: 'You have 21 sats' });
      }

      // A DM to someone else is refused before the signer is asked.
      const other = getPublicKey(generateSecretKey());
      await expect(openDmVia(createDm('nip04', userKey, other, 'hi'), remote)).rejects.toThrow('addressed to someone else');

      bunker.stop();
      const asked = createDmVia('nip17', remote, userPubkey, 'after the restart');
      bunker = await startBunker(botKey, relay.url);
      expect(openDm(await asked, userKey)).toMatchObject({ sender: botPubkey, text: 'after the restart' });
    } finally {
      remote.close();
      bunker.stop();
    }
  });

  it('fails clearly when no signer answers', async () => {
    const nobody = getPublicKey(generateSecretKey());
    await expect(connectBunker({ url: `bunker://${nobody}?relay=${encodeURIComponent(relay.url)}`, clientKey: generateSecretKey(), timeoutMs: 300, attempts: 2, log }))
      .rejects.toThrow('the signer did not answer connect (2 tries of 300 ms)');
  });
});
