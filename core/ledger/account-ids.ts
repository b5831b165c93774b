// Account ids of pubkeys, remembered: a pubkey's user account, once made, never changes (nor is
// it deleted). One cache per database pool serves the DM bot (a `send` to someone who wrote to
// the bot needs no query) and the zap callback (every callback would otherwise ask twice).
import type { Sql } from '../db.ts';
import * as accounts from './accounts.ts';

/** Pubkeys remembered (oldest forgotten first). */
const CAPACITY = 10_000;

export class AccountIds {
  readonly #sql: Sql;
  readonly #ids = new Map<string, string>();

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** The account of a pubkey seen before, if remembered. */
  known(pubkey: string): string | undefined {
    return this.#ids.get(pubkey);
  }

  /** The pubkey's user account, made on first use. */
  async forPubkey(pubkey: string): Promise<string> {
    let id = this.#ids.get(pubkey);
    if (id === undefined) {
      id = (await accounts.forPubkey(this.#sql, pubkey)).id;
      this.#ids.set(pubkey, id);
      if (this.#ids.size > CAPACITY) this.#ids.delete(this.#ids.keys().next().value!);
    }
    return id;
  }
}

const shared = new WeakMap<Sql, AccountIds>();

/** The process's cache for this pool. */
export function accountIdsOf(sql: Sql): AccountIds {
  let ids = shared.get(sql);
  if (!ids) shared.set(sql, (ids = new AccountIds(sql)));
  return ids;
}
