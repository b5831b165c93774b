// The DM payment bot. For now it only has an identity (key, profile, DM relays); its command
// handling plugs in here: subscribe to kinds 4 and 1059 `#p` = key.pubkey on `pool`, open each
// with `openDm`, parse with `parseCommand`, answer with `replyTo` in the language of `t`.
import { publicAddress } from '../identity.ts';
import type { BotModule } from '../bot.ts';

export const dmBot: BotModule = {
  name: 'dm',
  title: 'DM bot',
  configuredKey: (config) => config.BOT_DM_NSEC,
  profile: (config) => ({
    name: config.BOT_DM_NAME,
    about: config.BOT_DM_ABOUT,
    picture: config.BOT_DM_PICTURE,
    nip05: publicAddress(config, config.BOT_DM_USERNAME),
    lud16: publicAddress(config, config.BOT_DM_USERNAME),
  }),
  start: async () => ({ stop: async () => {} }),
};
