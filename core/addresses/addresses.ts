// The names this service answers for: `<name>@<PUBLIC_URL host>`, where the name is an npub, a
// username, or the DM bot's name (usernames.ts ownerOf); and the zapper key every such address names.
import type { Config } from '../config.ts';
import type { Context } from '../context.ts';
import { loadBotKey, type KeyPair } from '../nostr/keys.ts';
import { botRelays } from '../nostr/relays.ts';

/** The host of PUBLIC_URL: the domain of every lightning address and NIP-05 name here. */
export const addressDomain = (config: Config): string => new URL(config.publicUrl).host;

/** Where our zap receipts go besides the request's relays. */
export const ownZapRelays = (config: Config): string[] => (config.ZAP_RELAYS.length ? config.ZAP_RELAYS : botRelays(config));

const keys = new WeakMap<Context, Promise<KeyPair>>();
/** The zapper's key: signs receipts; its pubkey is every address's `nostrPubkey`. */
export function zapperKey(ctx: Context): Promise<KeyPair> {
  let key = keys.get(ctx);
  if (!key) {
    key = loadBotKey(ctx.secrets, 'zapper', ctx.config.ZAP_NSEC);
    key.catch(() => keys.delete(ctx));
    keys.set(ctx, key);
  }
  return key;
}
