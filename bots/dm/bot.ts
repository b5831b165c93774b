// The DM payment bot: its identity (key, profile, DM relays) and, while this instance leads
// for its key, the inbox (commands in NIP-04 and NIP-17 DMs) and the notices (invoice paid,
// money received, payment outcomes) that the wallet's domain events drive.
import { npub } from '../../core/nostr/keys.ts';
import { publicAddress } from '../identity.ts';
import { routingDeps } from '../../core/routing/route.ts';
import type { BotModule, BotRuntime } from '../bot.ts';
import { accountIdsOf } from '../../core/ledger/account-ids.ts';
import { DmInbox } from './inbox.ts';
import { Messenger } from './messenger.ts';
import { startAlerts } from './alerts.ts';
import { startNotices } from './notices.ts';
import { RateLimiter } from '../../core/rate-limit.ts';
import type { DmDeps } from './session.ts';
import * as store from './store.ts';
import { mintUrl } from '../../core/mint/ecash.ts';
import { NUTZAP_KIND, redeemNutzap } from '../../core/mint/nutzap.ts';

/** `npub1abcdefgh…uvwxyz`: enough to recognise, short enough to read. */
const shortNpub = (pubkey: string): string => {
  const full = npub(pubkey);
  return `${full.slice(0, 12)}…${full.slice(-6)}`;
};

async function startDmBot(rt: BotRuntime): Promise<{ stop(): Promise<void> }> {
  const { ctx, pool, key, log } = rt;
  const config = ctx.config;
  const messenger = new Messenger({ pool, key, log, lookupTimeoutMs: config.DM_LOOKUP_TIMEOUT_MS });
  const deps: DmDeps = {
    ctx, pool, messenger,
    accounts: accountIdsOf(ctx.sql),
    routing: routingDeps(ctx),
    userSettings: async (pubkey) => {
      const user = await store.getUser(ctx.sql, pubkey);
      return { lang: user.lang ?? config.DM_DEFAULT_LANG, scheme: user.scheme };
    },
    labelOf: shortNpub,
  };
  const limiter = new RateLimiter({ burst: config.DM_RATE_BURST, perMinute: config.DM_RATE_PER_MINUTE });
  const inbox = new DmInbox(deps, { key, limiter, log });
  const notices = await startNotices(deps, { botPubkey: key.pubkey, log });
  const alerts = await startAlerts(deps, { botPubkey: key.pubkey, log });
  inbox.start();
  // Nutzaps (NIP-61) of our mint for holders here: redeemed into their balance, once each; the
  // credit's payment.received event tells them.
  const nutzaps = pool.subscribe([{ kinds: [NUTZAP_KIND], '#u': [mintUrl(ctx)], since: Math.floor(Date.now() / 1000) - config.DM_MAX_AGE_SECONDS }], (event) => {
    void redeemNutzap(ctx, event).then((r) => log.info({ event: event.id, status: r.status }, 'nutzap'))
      .catch((err: unknown) => log.warn({ err, event: event.id }, 'nutzap not redeemed'));
  });
  const stop = async () => {
    nutzaps.close();
    await inbox.stop();
    await notices.stop();
    await alerts.stop();
    deps.routing.profiles.close();
  };
  rt.lease.signal.addEventListener('abort', () => void inbox.stop(), { once: true });
  return { stop };
}

export const dmBot: BotModule = {
  name: 'dm',
  title: 'DM bot',
  configuredKey: (config) => config.BOT_DM_NSEC,
  remoteSigner: (config) => config.BOT_DM_SIGNER,
  profile: (config) => ({
    name: config.BOT_DM_NAME,
    about: config.BOT_DM_ABOUT,
    picture: config.BOT_DM_PICTURE,
    nip05: publicAddress(config, config.BOT_DM_USERNAME),
    lud16: publicAddress(config, config.BOT_DM_USERNAME),
  }),
  start: startDmBot,
};
