// What a bot module is: the `bots` role gives each one its key, a relay pool authenticated as
// that key and a lease (only one instance runs a bot at a time), then calls `start`.
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import type { Logger } from '../core/log.ts';
import type { Lease } from '../core/nostr/leader.ts';
import type { BotKey } from '../core/nostr/bot-key.ts';
import type { RelayPool } from '../core/nostr/pool.ts';
import type { BotProfile } from './identity.ts';

export interface BotRuntime {
  ctx: Context;
  key: BotKey;
  /** Connected to `relays`, answering NIP-42 AUTH as `key`. */
  pool: RelayPool;
  relays: string[];
  /** Aborted when this instance stops leading for the bot: stop taking work then. */
  lease: Lease;
  log: Logger;
}

export interface BotModule {
  /** Short name: the secret `bot:<name>`, logs, `flash bots info`. */
  name: string;
  /** How `flash start` and `flash bots info` name it ("DM bot"). */
  title: string;
  /** The key set in configuration (nsec or hex), if any; otherwise one is generated once. */
  configuredKey(config: Config): string | undefined;
  /** A NIP-46 signer (`bunker://…`) holding the key instead, if configured. */
  remoteSigner?(config: Config): string | undefined;
  profile(config: Config): BotProfile;
  /** Starts the bot's own work while this instance leads for its key. */
  start(runtime: BotRuntime): Promise<{ stop(): Promise<void> }>;
}
