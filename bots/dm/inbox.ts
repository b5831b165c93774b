// Incoming DMs: kinds 4 and 1059 addressed to the bot → stored ones (sent before EOSE) skipped
// if their id is known (a relay re-sending stored DMs costs no decryption; ids arriving
// together are looked up in one query; live ones are new) → opened (sender verified; forged seals, oversize and undecryptable messages dropped
// with a log line) → taken at most once (ids recorded in PostgreSQL before anything else, in
// the same statement that reads the sender's settings) → one at a time per sender, many
// senders at once → rate limit → parse → handle → reply in the scheme the message came in.
import { EncryptedDirectMessage, GiftWrap } from 'nostr-tools/kinds';
import type { NostrEvent } from 'nostr-tools/pure';
import type { Logger } from '../../core/log.ts';
import type { BotKey } from '../../core/nostr/bot-key.ts';
import { DmError, type IncomingDm } from '../../core/nostr/dm.ts';
import { nowSeconds } from '../../core/nostr/event.ts';
import { parseCommand } from './commands.ts';
import { operatorCommand } from './operator.ts';
import { handle } from './handlers.ts';
import { parseErrorText, t } from './i18n/index.ts';
import type { RateLimiter } from '../../core/rate-limit.ts';
import type { DmDeps, Reply } from './session.ts';
import * as store from './store.ts';

/** Gift wraps carry a created_at randomised up to two days into the past (NIP-59). */
const WRAP_SKEW_SEC = 2 * 86_400;

export interface InboxOptions {
  key: Pick<BotKey, 'pubkey' | 'openDm'>;
  limiter: RateLimiter;
  log: Logger;
}

export class DmInbox {
  readonly #d: DmDeps;
  readonly #o: InboxOptions;
  readonly #chains = new Map<string, Promise<void>>();
  #intake: Promise<void> = Promise.resolve();
  /** Ids waiting for the next look-up of known ids. */
  #lookups: Map<string, PromiseWithResolvers<boolean>> | undefined;
  #subs: Array<{ close(): void }> = [];
  #stopped = false;

  constructor(d: DmDeps, o: InboxOptions) {
    this.#d = d;
    this.#o = o;
  }

  start(): void {
    const { pool, ctx } = this.#d;
    const since = nowSeconds() - ctx.config.DM_MAX_AGE_SECONDS;
    const p = [this.#o.key.pubkey];
    const onEvent = (event: NostrEvent, _relay: string, stored: boolean) => this.receive(event, stored);
    this.#subs = [
      pool.subscribe([{ kinds: [EncryptedDirectMessage], '#p': p, since }], onEvent),
      pool.subscribe([{ kinds: [GiftWrap], '#p': p, since: since - WRAP_SKEW_SEC }], onEvent, { resumeMarginSec: WRAP_SKEW_SEC + 60 }),
    ];
  }

  /** Stops taking messages and waits for those being handled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const sub of this.#subs) sub.close();
    await this.#intake;
    await Promise.all(this.#chains.values());
  }

  /**
   * One event from a relay (already de-duplicated across relays by the pool, for a while);
   * `stored` when the relay sent it from storage rather than live.
   */
  receive(event: NostrEvent, stored: boolean): void {
    if (this.#stopped) return;
    // Relays send stored DMs again after every (re)connection: known ones cost no decryption.
    // The look-ups run at once; their results are taken in arrival order, keeping each sender's
    // order. A live event is new to the relay, so it is not looked up: taking it (the claim)
    // is what keeps it from being acted on twice in any case.
    const seen = stored && this.#seen(event.id);
    this.#intake = this.#intake.then(async () => {
      if (!(await seen)) await this.#open(event);
    }).catch((err: unknown) => this.#o.log.error({ err, event: event.id }, 'DM could not be taken'));
  }

  /** Whether a DM arrived under `id` before; the ids asked for in one tick share one query. */
  #seen(id: string): Promise<boolean> {
    let batch = this.#lookups;
    if (!batch) {
      const ids = batch = this.#lookups = new Map();
      setImmediate(() => {
        this.#lookups = undefined;
        store.seenMessages(this.#d.ctx.sql, [...ids.keys()]).then(
          (known) => { for (const [id, p] of ids) p.resolve(known.has(id)); },
          (err: unknown) => { for (const p of ids.values()) p.reject(err); },
        );
      });
    }
    let answer = batch.get(id);
    if (!answer) {
      batch.set(id, answer = Promise.withResolvers<boolean>());
      answer.promise.catch(() => {}); // awaited in turn by the intake chain, which logs it
    }
    return answer.promise;
  }

  async #open(event: NostrEvent): Promise<void> {
    const log = this.#o.log;
    let dm: IncomingDm;
    try {
      dm = await this.#o.key.openDm(event);
    } catch (err) {
      if (err instanceof DmError) log.warn({ event: event.id, kind: event.kind, code: err.code, reason: err.message }, 'DM dropped');
      else log.error({ err, event: event.id }, 'DM could not be opened');
      return;
    }
    if (dm.createdAt < nowSeconds() - this.#d.ctx.config.DM_MAX_AGE_SECONDS) {
      log.info({ event: event.id, sender: dm.sender, createdAt: dm.createdAt }, 'DM too old; dropped unanswered');
      return;
    }
    this.#serial(dm.sender, () => this.#process(dm));
  }

  /** Runs `task` after the sender's earlier messages: their commands keep their order. */
  #serial(sender: string, task: () => Promise<void>): void {
    const next = (this.#chains.get(sender) ?? Promise.resolve()).then(task).catch((err: unknown) => {
      this.#o.log.error({ err, sender }, 'DM handling failed');
    });
    this.#chains.set(sender, next);
    void next.then(() => { if (this.#chains.get(sender) === next) this.#chains.delete(sender); });
  }

  async #process(dm: IncomingDm): Promise<void> {
    const { ctx, messenger } = this.#d;
    const log = this.#o.log;
    const ids = dm.scheme === 'nip17' ? [dm.event.id, dm.id] : [dm.id];
    // The rate limit comes before anything is written: a flood of DMs from one key costs no rows
    // (but the one claim that tells the sender, once per window, in their language).
    const rate = this.#o.limiter.take(dm.sender, Date.now());
    if (!rate.allowed && !rate.notify) {
      log.info({ sender: dm.sender, dm: dm.id }, 'DM rate-limited; dropped');
      return;
    }
    const user = await store.claimMessage(ctx.sql, ids, dm.sender, dm.scheme);
    if (!user) {
      log.debug({ ids, sender: dm.sender }, 'DM already taken; skipped');
      return;
    }
    const lang = user.lang ?? ctx.config.DM_DEFAULT_LANG;
    if (!rate.allowed) {
      log.info({ sender: dm.sender, dm: dm.id }, 'DM rate-limited; dropped');
      await messenger.send(dm.sender, dm.scheme, t(lang, 'rate-limited', { retryAfterSec: rate.retryAfterSec }), dm.id);
      return;
    }
    const operatorReply = await operatorCommand(this.#d, dm.sender, dm.text);
    if (operatorReply) {
      await messenger.send(dm.sender, dm.scheme, operatorReply, dm.id);
      return;
    }
    const accountId = await this.#d.accounts.forPubkey(dm.sender);
    const parsed = parseCommand(dm.text);
    let reply: Reply;
    if (!parsed.ok) {
      reply = { text: parseErrorText(lang, parsed.error) };
    } else {
      try {
        reply = await handle(this.#d, { sender: dm.sender, accountId, lang, scheme: dm.scheme, dmId: dm.id }, parsed.command);
      } catch (err) {
        log.error({ err, sender: dm.sender, dm: dm.id, command: parsed.command.type }, 'command failed');
        reply = { text: t(lang, 'error.internal') };
      }
    }
    await messenger.send(dm.sender, dm.scheme, reply.text, dm.id);
    await reply.after?.();
  }
}
