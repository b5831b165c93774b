// Account ids of pubkeys the bot has dealt with, remembered: a pubkey's user account, once made,
// never changes. Senders are looked up (and their account made) on their first DM; a `send` to
// someone who wrote to the bot before then needs no query to find their account.
import * as accounts from '../../core/ledger/accounts.ts';
import type { Sql } from '../../core/db.ts';

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
