// What every handler shares: configuration, the store, policies, the live index and the
// cross-process fan-out. `accepted` is the single path by which an event goes live.
import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import type { Context } from '../core/context.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import { nowSeconds } from '../core/nostr/event.ts';
import { botPubkeys } from '../core/nostr/keys.ts';
import type { Connection, Subscription } from './connection.ts';
import { Fanout } from './fanout.ts';
import { LiveIndex } from './live-index.ts';
import type { NegSession } from './nips/nip77.ts';
import { Policy } from './policy.ts';
import { EventStore } from './store.ts';
import { VerifyPool } from './verify-pool.ts';
import type { Accepted } from './types.ts';

export class RelayEngine {
  readonly config: Config;
  readonly log: Logger;
  readonly redis: Redis;
  readonly store: EventStore;
  readonly policy: Policy;
  readonly live = new LiveIndex<Subscription>();
  readonly fanout: Fanout;
  readonly verifier: VerifyPool;
  readonly connections = new Set<Connection>();
  /** Open NIP-77 sessions over all connections (bounded by RELAY_NEG_MAX_SESSIONS_TOTAL). */
  negSessions = 0;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(ctx: Context) {
    this.config = ctx.config;
    this.log = ctx.log.child({ role: 'relay' });
    this.redis = ctx.redis;
    this.store = new EventStore(ctx.sql, { batchMs: ctx.config.RELAY_BATCH_MS, batchMax: ctx.config.RELAY_BATCH_MAX });
    this.policy = new Policy(ctx.config, ctx.sql, {
      redis: ctx.redis,
      log: this.log,
      botPubkeys: () => botPubkeys(ctx.secrets, [ctx.config.BOT_DM_NSEC, ctx.config.ZAP_NSEC]),
    });
    this.verifier = new VerifyPool(ctx.config.RELAY_VERIFY_THREADS ?? availableParallelism());
    this.fanout = new Fanout({
      redis: ctx.redis,
      prefix: ctx.config.REDIS_PREFIX,
      windowSeconds: ctx.config.RELAY_EPHEMERAL_WINDOW,
      windowMax: ctx.config.RELAY_MAX_LIMIT,
      windowMaxBytes: ctx.config.RELAY_EPHEMERAL_WINDOW_MAX_BYTES,
      log: this.log,
      onRemote: (events) => { for (const acc of events) this.#deliver(acc); },
      onPolicyChange: () => { this.policy.reload().then(() => this.#enforceIpBlocks(), (err: unknown) => this.log.error({ err }, 'relay: policy reload failed')); },
    });
  }

  async start(): Promise<void> {
    await this.policy.init();
    await this.fanout.start();
    const every = (ms: number, fn: () => Promise<unknown> | void) => {
      const t = setInterval(() => { void Promise.resolve(fn()).catch((err: unknown) => this.log.warn({ err }, 'relay: background task failed')); }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.config.RELAY_EXPIRATION_SWEEP * 1000, async () => {
      const n = await this.store.purgeExpired(nowSeconds());
      if (n) this.log.info({ purged: n }, 'relay: expired events purged');
    });
    every(60_000, () => this.policy.reloadBots());
  }

  /** A stored (or ephemeral) event goes live here and on every other relay process. */
  accepted(acc: Accepted, ephemeral: boolean): void {
    this.#deliver(acc);
    this.fanout.publish(acc, ephemeral);
  }

  #deliver(acc: Accepted): void {
    const frames = new Map<string, Buffer>();
    for (const sub of this.live.match(acc.event)) sub.deliver(acc, frames);
  }

  /** Changes to the managed lists reach every process; blocked IPs are disconnected. */
  async policyChanged(): Promise<void> {
    await this.policy.reload();
    this.#enforceIpBlocks();
    await this.fanout.policyChanged();
  }

  #enforceIpBlocks(): void {
    for (const c of this.connections) if (this.policy.isIpBlocked(c.ip)) c.drop('blocked: your address is blocked');
  }

  openNeg(conn: Connection, subId: string, session: NegSession): void {
    this.closeNeg(conn, subId);
    (conn.negs ??= new Map()).set(subId, session);
    this.negSessions++;
  }

  closeNeg(conn: Connection, subId: string): void {
    if (conn.negs?.delete(subId)) this.negSessions--;
  }

  forget(conn: Connection): void {
    for (const sub of conn.subs.values()) this.live.remove(sub);
    conn.subs.clear();
    this.negSessions -= conn.negs?.size ?? 0;
    conn.negs?.clear();
    this.connections.delete(conn);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.store.drain();
    await this.fanout.stop();
    await this.verifier.close();
  }
}
