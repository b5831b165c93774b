// What command handlers work with: the bot's dependencies, and the one message being handled.
import type { Context } from '../../core/context.ts';
import type { DmScheme } from '../../core/nostr/dm.ts';
import type { RelayPool } from '../../core/nostr/pool.ts';
import type { RoutingDeps } from '../../core/routing/route.ts';
import type { AccountIds } from '../../core/ledger/account-ids.ts';
import type { Lang } from './commands.ts';
import type { Messenger } from './messenger.ts';

export interface DmDeps {
  ctx: Context;
  pool: RelayPool;
  messenger: Messenger;
  /** Users' account ids by pubkey, remembered. */
  accounts: AccountIds;
  /** LNURL-pay client and profile lookups for core/routing. */
  routing: RoutingDeps;
  /** A user's reply language (their choice, else DM_DEFAULT_LANG) and last scheme. */
  userSettings(pubkey: string): Promise<{ lang: Lang; scheme?: DmScheme }>;
  /** How a pubkey is shown in replies (a short npub). */
  labelOf(pubkey: string): string;
}

/** One incoming command: who sent it (verified), their account and language, and its DM id. */
export interface Session {
  sender: string;
  accountId: string;
  lang: Lang;
  scheme: DmScheme;
  /** The kind-4 event id or the kind-14 rumor id: replies refer to it, idempotency keys derive from it. */
  dmId: string;
}

/** The reply to a command, and what to do once it is sent (e.g. tell an outcome that came meanwhile). */
export interface Reply {
  text: string;
  after?: () => Promise<void>;
}
