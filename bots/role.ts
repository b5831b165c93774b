// The `bots` role: every bot in `botModules` gets its key, and on the one instance that holds
// the bot's lease, a relay pool, its published identity, and its own work.
import type { Context } from '../core/context.ts';
import { LeaderElection, type Lease, type Leadership } from '../core/nostr/leader.ts';
import { localBotKey, remoteBotKey, type BotKey } from '../core/nostr/bot-key.ts';
import { connectBunker } from '../core/nostr/bunker.ts';
import { loadBotKey } from '../core/nostr/keys.ts';
import { generateSecretKey } from 'nostr-tools/pure';
import { RelayPool } from '../core/nostr/pool.ts';
import type { Role } from '../core/role.ts';
import type { BotModule } from './bot.ts';
import { dmBot } from './dm/bot.ts';
import { nwcBot } from './nwc/bot.ts';
import { zapperBot } from './zaps/bot.ts';
import { botRelays } from '../core/nostr/relays.ts';
import { identityEvents, publishIdentity, trustedRelays } from './identity.ts';

/** Every bot, in start order. A new bot adds its module here. */
export const botModules: BotModule[] = [dmBot, nwcBot, zapperBot];

async function lead(ctx: Context, bot: BotModule, key: BotKey, lease: Lease): Promise<Leadership> {
  const log = ctx.log.child({ bot: bot.name, fence: lease.fence });
  const relays = botRelays(ctx.config);
  const pool = new RelayPool({ relays, trusted: trustedRelays(ctx.config), signer: key.signer, log, outbound: ctx.outbound });
  void publishIdentity(pool, identityEvents(bot.profile(ctx.config), relays, key.signer), log);
  try {
    const work = await bot.start({ ctx, key, pool, relays, lease, log });
    return { stop: async () => { await work.stop(); pool.close(); } };
  } catch (err) {
    pool.close();
    throw err;
  }
}

/**
 * The bot's key in this process, or its NIP-46 signer when one is configured. Our side of the
 * NIP-46 conversation has a key of its own, kept sealed, so the signer knows us after restarts.
 */
export async function botKey(ctx: Context, bot: BotModule): Promise<BotKey> {
  const url = bot.remoteSigner?.(ctx.config);
  if (!url) return localBotKey(await loadBotKey(ctx.secrets, bot.name, bot.configuredKey(ctx.config)));
  const clientKey = await ctx.secrets.getOrCreate(`bot:${bot.name}:nip46-client`, generateSecretKey);
  const log = ctx.log.child({ bot: bot.name });
  return remoteBotKey(await connectBunker({ url, clientKey, timeoutMs: ctx.config.BOT_DM_SIGNER_TIMEOUT_MS, log }));
}

export const botsRole: Role = async (ctx) => {
  const running: Array<{ bot: BotModule; key: BotKey; election: LeaderElection }> = [];
  for (const bot of botModules) {
    const key = await botKey(ctx, bot);
    const election = new LeaderElection({
      redis: ctx.redis,
      key: `${ctx.config.REDIS_PREFIX}:leader:bot:${key.pubkey}`,
      ttlMs: ctx.config.BOT_LEADER_TTL_MS,
      log: ctx.log.child({ bot: bot.name }),
      lead: (lease) => lead(ctx, bot, key, lease),
    });
    await election.start();
    running.push({ bot, key, election });
  }
  return {
    describe: running.map(({ bot, key, election }) => `${bot.title}: ${key.npub}${election.isLeader ? '' : ' (standby)'}`),
    stop: async () => { for (const r of running.reverse()) { await r.election.stop(); r.key.close(); } },
  };
};
