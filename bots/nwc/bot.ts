// The wallet-connect service (NIP-47) as a bot module. Its own key is only its public face
// (profile); every connection answers with a key of its own (see service.ts).
import type { BotModule, BotRuntime } from '../bot.ts';
import { CHANGES_CHANNEL } from './connections.ts';
import { startNotifications } from './notifications.ts';
import { NwcService } from './service.ts';

/** Starts serving: connections, requests, info events, notifications; resolves once listening. */
export async function startNwcService(rt: BotRuntime): Promise<{ service: NwcService; stop(): Promise<void> }> {
  const { ctx, log } = rt;
  const service = new NwcService(ctx, rt.pool, log);
  const reload = () => void service.reload().catch((err: unknown) => log.error({ err }, 'reloading wallet connections failed'));
  // Listen first, so no change between the first load and the subscription is missed.
  const listener = await ctx.sql.listen(CHANGES_CHANNEL, reload);
  await service.reload(); // publishes every active connection's info event
  const notifications = await startNotifications(service, service.instance);
  const republish = setInterval(() => {
    reload();
    void service.publishAllInfo().catch((err: unknown) => log.warn({ err }, 'republishing info events failed'));
  }, ctx.config.NWC_INFO_REPUBLISH_SECONDS * 1000);
  return {
    service,
    stop: async () => {
      clearInterval(republish);
      service.stop();
      await listener.unlisten();
      await notifications.stop();
    },
  };
}

export const nwcBot: BotModule = {
  name: 'nwc',
  title: 'Wallet connect',
  configuredKey: () => undefined,
  profile: (config) => ({ name: config.NWC_NAME, about: 'Nostr Wallet Connect (NIP-47): pay and receive from any Nostr app with a connection of its own.' }),
  start: startNwcService,
};
