// One active instance per bot key: a Redis lease (SET NX PX, renewed, released by its owner
// only), with a fencing number that grows with every new leader. Standby instances read
// the lease's remaining life and try again the moment a dead leader's lease runs out.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { withDeadline } from '../deadline.ts';
import { CodedError } from '../errors.ts';
import type { Logger } from '../log.ts';

// Acquire: the lease and the next fencing number, atomically; when someone holds it, minus
// the milliseconds its lease has left (so a standby can try again the moment it runs out).
// A missing counter (a new Redis, or one that lost its data) starts at Redis's clock in ms,
// so fences still grow across the loss.
const ACQUIRE = `local left = redis.call('pttl', KEYS[1])
if left == -1 then left = tonumber(ARGV[2]) end
if left ~= -2 then return -math.max(left, 1) end
if redis.call('exists', KEYS[2]) == 0 then
  local now = redis.call('time')
  redis.call('set', KEYS[2], now[1] * 1000 + math.floor(now[2] / 1000))
end
local fence = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
return fence`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

export class LeaseCallTimeoutError extends CodedError<'lease_timeout'> {
  override name = 'LeaseCallTimeoutError';
  constructor(ms: number, what = 'Redis did not answer a leader lease call') {
    super('lease_timeout', `${what} within ${ms} ms`);
  }
}

export interface Lease {
  /** Grows with every new leader: stamp writes with it so a deposed leader's are refused. */
  fence: number;
  /** Aborted the moment this instance stops being leader. */
  signal: AbortSignal;
}

export interface Leadership {
  stop(): Promise<void>;
}

export interface LeaderOptions {
  redis: Redis;
  /** The Redis key of the lease, e.g. `flash:leader:bot:<pubkey>`. */
  key: string;
  log: Logger;
  /** Lease length; renewed every third of it (default 3 s). */
  ttlMs?: number;
  /** Starts the work this instance does while leader. */
  lead: (lease: Lease) => Promise<Leadership>;
  /** How long stepping down waits for that work to stop (default 10 s). */
  stopGraceMs?: number;
}

export class LeaderElection {
  readonly #opts: LeaderOptions;
  readonly #ttl: number;
  readonly #instance = randomBytes(8).toString('hex');
  #token?: string;
  #fence?: number;
  /** The leader's work, from the moment `lead` is called (it may still be starting). */
  #leading?: Promise<Leadership | undefined>;
  #abort?: AbortController;
  #timer?: NodeJS.Timeout;
  #watchdog?: NodeJS.Timeout;
  #stopped = false;
  #busy: Promise<void> = Promise.resolve();
  /** Successful renewals since start (for status and tests). */
  renewals = 0;

  constructor(opts: LeaderOptions) {
    this.#opts = opts;
    this.#ttl = opts.ttlMs ?? 3000;
  }

  /** True while this instance holds the lease. */
  get isLeader(): boolean {
    return this.#token !== undefined;
  }

  /** Starts campaigning; resolves after the first attempt (leader or standby). */
  async start(): Promise<void> {
    await this.#tick();
  }

  /** Serialises ticks and stop so they never interleave. */
  #exclusive(fn: () => Promise<void>): Promise<void> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => {});
    return next;
  }

  #tick(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#stopped) return;
      const period = Math.floor(this.#ttl / 3);
      let next = period;
      try {
        if (this.#token) await this.#renew(this.#token);
        else next = Math.min(period, await this.#campaign());
      } catch (err) {
        this.#opts.log.warn({ err, key: this.#opts.key }, 'leader lease check failed');
      } finally {
        if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), Math.max(10, next));
      }
    });
  }

  /** Tries to take the lease; as standby, returns how long the holder's lease has left (ms). */
  async #campaign(): Promise<number> {
    const { key, log } = this.#opts;
    const sentAt = Date.now();
    const fence = await this.#eval(ACQUIRE, 2, key, `${key}:fence`, this.#instance, this.#ttl);
    if (fence < 0) return -fence + 5;
    this.#token = `${this.#instance}:${fence}`;
    this.#fence = fence;
    this.#armWatchdog(sentAt);
    this.#abort = new AbortController();
    // Not awaited: renewals go on while the work starts.
    this.#leading = this.#opts.lead({ fence, signal: this.#abort.signal }).then((work) => {
      log.info({ key, fence }, 'leading');
      return work;
    }, (err: unknown) => {
      log.error({ err, key }, 'could not start as leader; releasing the lease');
      void this.#exclusive(() => this.#resign());
      return undefined;
    });
    return this.#ttl;
  }

  async #renew(token: string): Promise<void> {
    const { key, log } = this.#opts;
    const sentAt = Date.now();
    const kept = await this.#eval(RENEW, 1, key, token, this.#ttl);
    if (this.#token !== token) return; // the watchdog stepped down meanwhile
    if (kept) {
      this.renewals++;
      this.#armWatchdog(sentAt);
    } else {
      log.warn({ key, fence: this.#fence }, 'leader lease lost to another instance; stepping down');
      await this.#stepDown();
    }
  }

  /**
   * Steps down before an unrenewed lease can expire (Redis unreachable or slow), so two
   * instances never lead at once. Runs outside the tick chain: a hung renewal must not delay it.
   * Counted from when the renewal was sent, the earliest moment Redis can have set the expiry.
   */
  #armWatchdog(sentAt: number): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      this.#opts.log.warn({ key: this.#opts.key, fence: this.#fence }, 'leader lease not renewed in time; stepping down');
      void this.#stepDown();
    }, Math.max(0, sentAt + Math.floor(this.#ttl * 0.8) - Date.now()));
  }

  async #stepDown(): Promise<void> {
    clearTimeout(this.#watchdog);
    this.#token = undefined;
    this.#abort?.abort();
    const leading = this.#leading;
    this.#leading = undefined;
    const work = await leading;
    // Work whose stop hangs (a BullMQ worker on a Redis that stopped answering) must not hold
    // the campaign or `stop` forever; what it may still do is refused by its aborted signal and
    // stale fence.
    const grace = this.#opts.stopGraceMs ?? 10_000;
    await (work && withDeadline(work.stop(), grace, () => new LeaseCallTimeoutError(grace, 'the leader\'s work did not stop')))
      ?.catch((err: unknown) => this.#opts.log.error({ err, key: this.#opts.key }, 'stopping leader work failed; carrying on without it'));
  }

  async #resign(): Promise<void> {
    const token = this.#token;
    await this.#stepDown();
    if (token) await this.#eval(RELEASE, 1, this.#opts.key, token).catch(() => {});
  }

  /**
   * A lease script, given up after one lease length: an answer that late is worthless, and a
   * Redis that never answers (a replaced server, a dead socket) must not hold the tick chain,
   * and with it `stop`, forever. An acquire given up on may still land; its lease runs out.
   */
  async #eval(script: string, keys: number, ...args: Array<string | number>): Promise<number> {
    return Number(await withDeadline(this.#opts.redis.eval(script, keys, ...args), this.#ttl, () => new LeaseCallTimeoutError(this.#ttl)));
  }

  /** Stops the leader's work (if leading), releases the lease for a standby, stops campaigning. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    return this.#exclusive(() => this.#resign());
  }
}
