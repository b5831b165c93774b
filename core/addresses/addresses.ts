// The names this service answers for: `<name>@<PUBLIC_URL host>`, where the name is an npub, a
// username, or the DM bot's name; and the zapper key that every such address names for receipts.
import { nip19 } from 'nostr-tools';
import type { Config } from '../config.ts';
import type { Context } from '../context.ts';
import { findBotKey, loadBotKey, type KeyPair } from '../nostr/keys.ts';
import { botRelays } from '../nostr/relays.ts';
import { pubkeyOfUsername } from './usernames.ts';

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

/** The pubkey behind `name` here: an npub, a username, or the DM bot's name. */
export async function ownerOf(ctx: Context, name: string): Promise<string | undefined> {
  const lower = name.toLowerCase();
  if (lower.startsWith('npub1')) {
    try {
      const d = nip19.decode(lower as `npub1${string}`);
      return d.type === 'npub' ? d.data : undefined;
    } catch {
      return undefined;
    }
  }
  if (!/^[a-z0-9._-]{1,64}$/.test(lower)) return undefined;
  if (lower === ctx.config.BOT_DM_USERNAME) return (await findBotKey(ctx.secrets, 'dm', ctx.config.BOT_DM_NSEC))?.pubkey;
  return pubkeyOfUsername(ctx.sql, lower);
}
