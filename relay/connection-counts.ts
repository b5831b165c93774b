// Open connections per address, capped across relay processes. Each process counts its own and
// keeps them in one Redis hash per address (a field per process); opening a connection asks
// Redis for the sum of the live processes' fields and takes a slot in the same script. Every
// HEARTBEAT_MS a process renews its liveness key and writes its counts again, so a crashed
// process drops out of the sums once its key runs out, and a Redis that lost its data is
// refilled. With Redis unreachable, each process caps its own connections.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/log.ts';

const HEARTBEAT_MS = 2000;
const ALIVE_MS = 3 * HEARTBEAT_MS;

// KEYS[1]: the address's hash. ARGV: this process, the cap, the liveness key prefix, the
// hash's lifetime. Fields of processes whose liveness key is gone are removed, not summed.
const OPEN = `local total = 0
local fields = redis.call('hgetall', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] == ARGV[1] or redis.call('exists', ARGV[3] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('hdel', KEYS[1], fields[i])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('hincrby', KEYS[1], ARGV[1], 1)
redis.call('pexpire', KEYS[1], ARGV[4])
return 1`;

export class SharedConnectionCounts {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #max: number;
  readonly #log: Logger;
  readonly #instance = randomBytes(8).toString('hex');
  /** This process's open connections per address. */
  readonly #local = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #down = false;

  /** `max` connections per address across processes; 0: unlimited. */
  constructor(o: { redis: Redis; prefix: string; max: number; log: Logger }) {
    this.#redis = o.redis;
    this.#prefix = `${o.prefix}:relay:connections`;
    this.#max = o.max;
    this.#log = o.log;
  }

  get limited(): boolean {
    return this.#max > 0;
  }

  start(): void {
    if (!this.limited) return;
    void this.#heartbeat();
    this.#timer = setInterval(() => void this.#heartbeat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (!this.limited) return;
    await this.#redis.del(this.#aliveKey(this.#instance)).catch(() => {});
  }

  /** Takes a slot for a connection from `ip`; false when every process together has `max` open. */
  async open(ip: string): Promise<boolean> {
    if (!this.limited) return true;
    let ok: boolean;
    try {
      ok = Number(await this.#redis.eval(OPEN, 1, this.#key(ip), this.#instance, this.#max, `${this.#prefix}:alive:`, ALIVE_MS)) === 1;
      this.#down = false;
    } catch (err) {
      if (!this.#down) this.#log.warn({ err }, 'relay: shared connection counts unavailable, capping per process');
      this.#down = true;
      ok = (this.#local.get(ip) ?? 0) < this.#max;
    }
    if (ok) this.#local.set(ip, (this.#local.get(ip) ?? 0) + 1);
    return ok;
  }

  /** Gives back the slot of a connection `open` let in. */
  close(ip: string): void {
    const n = (this.#local.get(ip) ?? 1) - 1;
    if (n > 0) this.#local.set(ip, n);
    else this.#local.delete(ip);
    const write = n > 0 ? this.#redis.hset(this.#key(ip), this.#instance, n) : this.#redis.hdel(this.#key(ip), this.#instance);
    write.catch(() => {}); // the next heartbeat writes it again
  }

  async #heartbeat(): Promise<void> {
    const batch = this.#redis.pipeline().set(this.#aliveKey(this.#instance), '1', 'PX', ALIVE_MS);
    for (const [ip, n] of this.#local) batch.hset(this.#key(ip), this.#instance, n).pexpire(this.#key(ip), ALIVE_MS);
    await batch.exec().catch(() => {});
  }

  #key(ip: string): string {
    return `${this.#prefix}:${ip}`;
  }

  #aliveKey(instance: string): string {
    return `${this.#prefix}:alive:${instance}`;
  }
}
