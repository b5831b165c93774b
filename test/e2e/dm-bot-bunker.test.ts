// The DM bot with its key in a NIP-46 signer (BOT_DM_SIGNER): a bunker (NDK's NIP-46 backend)
// runs here over our relay; the bots role signs its identity and NIP-42 AUTH, opens DMs and
// answers them through it, and keeps answering after the bunker restarts.
import { npubEncode } from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { botsRole } from '../../bots/role.ts';
import type { RunningRole } from '../../core/role.ts';
import { DmUser } from '../support/dm.ts';
import { startBunker, type Bunker } from '../support/bunker.ts';
import { startTestRelay, type TestRelay } from '../support/relay.ts';
import { startTestWallet, type TestWallet } from '../support/wallet.ts';

const botKey = generateSecretKey();
const botPubkey = getPublicKey(botKey);
let relay: TestRelay;
let bunker: Bunker;
let wallet: TestWallet;
let bots: RunningRole;
beforeAll(async () => {
  relay = await startTestRelay();
  bunker = await startBunker(botKey, relay.url);
  wallet = await startTestWallet({
    NOSTR_RELAYS: relay.url, BOT_DM_SIGNER: `bunker://${botPubkey}?relay=${encodeURIComponent(relay.url)}`, BOT_DM_SIGNER_TIMEOUT_MS: '5000',
  });
  bots = await botsRole(wallet.ctx);
});
afterAll(async () => {
  await bots.stop();
  bunker.stop();
  await wallet.close();
  await relay.close();
});

it('answers DMs with the key the signer holds, in both schemes, across a restart of the signer', { timeout: 90_000 }, async () => {
  expect(bots.describe).toContain(`DM bot: ${npubEncode(botPubkey)}`);
  // Its profile was signed by the signer, and no key for the DM bot was made in the database.
  await expect.poll(async () => (await relay.ctx.sql`select 1 from relay_events where pubkey = ${Buffer.from(botPubkey, 'hex')} and kind = 0`).length).toBe(1);
  expect(await wallet.ctx.secrets.get('bot:dm')).toBeUndefined();
  expect(await wallet.ctx.secrets.get('bot:dm:nip46-client')).toBeDefined();

  const user = await DmUser.open(relay.url, botPubkey);
  try {
    expect(await user.ask('balance', 'nip04')).toBe('Balance: 0 sats');
    expect(await user.ask('balance', 'nip17')).toBe('Balance: 0 sats');

    bunker.stop();
    // Asked while no signer listens: the bot's calls are lost and asked again (every 5 s, three tries).
    const asked = user.request('help', 'nip17', 30_000);
    bunker = await startBunker(botKey, relay.url);
    expect((await asked).text).toContain('Commands:');
  } finally {
    user.close();
  }
});
