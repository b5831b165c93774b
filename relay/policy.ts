// Who may write what: size and time limits, per-IP and per-pubkey rate limits, allow and
// deny lists (from config and from the NIP-86 API, kept in relay_lists), and the operator's
// write-policy hook. Every refusal is a NIP-01 reason with its machine-readable prefix.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../core/config.ts';
import type { Sql } from '../core/db.ts';
import type { NostrEvent } from './types.ts';

/** The operator's hook (RELAY_WRITE_POLICY): the module's default export. */
export type WritePolicy = (event: NostrEvent, meta: { ip: string; authed: string[] }) => WriteDecision | Promise<WriteDecision>;
export type WriteDecision = { accept: true } | { accept: false; reason: string };

export const listNames = ['ban_pubkey', 'allow_pubkey', 'ban_event', 'allow_kind', 'deny_kind', 'block_ip'] as const;
export type ListName = (typeof listNames)[number];

/** Token buckets keyed by IP or pubkey; `rate` per second, bursts up to twice that. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  take(key: string, rate: number, now = performance.now()): boolean {
    if (rate <= 0) return true;
    const burst = rate * 2;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets buckets idle long enough to be full again, so memory follows active clients. */
  sweep(now = performance.now(), idleMs = 60_000): void {
    for (const [k, b] of this.#buckets) if (now - b.at > idleMs) this.#buckets.delete(k);
  }
}

export class Policy {
  readonly config: Config;
  readonly sql: Sql;
  readonly rates = new RateLimiter();
  #lists = new Map<ListName, Map<string, string | null>>();
  #settings = new Map<string, string>();
  #hook: WritePolicy | undefined;
  readonly #exempt: Set<string>;

  constructor(config: Config, sql: Sql) {
    this.config = config;
    this.sql = sql;
    this.#exempt = new Set(config.RELAY_RATE_EXEMPT_IPS);
  }

  /** Loads the write-policy hook and the managed lists; call `reload` after NIP-86 changes. */
  async init(): Promise<void> {
    if (this.config.RELAY_WRITE_POLICY) {
      const mod = await import(pathToFileURL(path.resolve(this.config.RELAY_WRITE_POLICY)).href) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error(`RELAY_WRITE_POLICY ${this.config.RELAY_WRITE_POLICY} has no default export function`);
      this.#hook = mod.default as WritePolicy;
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    const rows = await this.sql<{ list: ListName; value: string; reason: string | null }[]>`select list, value, reason from relay_lists`;
    const lists = new Map<ListName, Map<string, string | null>>(listNames.map((n) => [n, new Map()]));
    for (const r of rows) lists.get(r.list)?.set(r.value, r.reason);
    this.#lists = lists;
    const settings = await this.sql<{ name: string; value: string }[]>`select name, value from relay_settings`;
    this.#settings = new Map(settings.map((s) => [s.name, s.value]));
  }

  list(name: ListName): Map<string, string | null> {
    return this.#lists.get(name)!;
  }

  setting(name: string): string | undefined {
    return this.#settings.get(name);
  }

  isIpBlocked(ip: string): boolean {
    return this.list('block_ip').has(ip);
  }

  /** Size, tag-count and time-window limits: the `invalid:` reason, if any. */
  limitsError(e: NostrEvent, now: number): string | undefined {
    const c = this.config;
    if (e.tags.length > c.RELAY_MAX_TAGS) return `invalid: more than ${c.RELAY_MAX_TAGS} tags`;
    if (e.content.length > c.RELAY_MAX_CONTENT_LENGTH) return `invalid: content longer than ${c.RELAY_MAX_CONTENT_LENGTH} characters`;
    if (e.created_at > now + c.RELAY_CREATED_AT_FUTURE) return `invalid: created_at is more than ${c.RELAY_CREATED_AT_FUTURE} seconds in the future`;
    if (c.RELAY_CREATED_AT_PAST > 0 && e.created_at < now - c.RELAY_CREATED_AT_PAST) return `invalid: created_at is more than ${c.RELAY_CREATED_AT_PAST} seconds in the past`;
    return undefined;
  }

  /** Per-IP and per-pubkey event rates: the `rate-limited:` reason, if any. */
  eventRateError(ip: string, pubkey: string): string | undefined {
    if (this.#exempt.has(ip)) return undefined;
    if (!this.rates.take(`ip:${ip}`, this.config.RELAY_RATE_IP_EVENTS)) return 'rate-limited: slow down, too many events from your address';
    if (!this.rates.take(`pk:${pubkey}`, this.config.RELAY_RATE_PUBKEY_EVENTS)) return 'rate-limited: slow down, too many events from this pubkey';
    return undefined;
  }

  /** Per-IP rate of REQ, COUNT and NEG-OPEN. */
  allowsRead(ip: string): boolean {
    return this.#exempt.has(ip) || this.rates.take(`req:${ip}`, this.config.RELAY_RATE_IP_REQS);
  }

  /** Allow and deny lists for authors, kinds and event ids: the `blocked:` reason, if any. */
  listError(e: NostrEvent): string | undefined {
    const c = this.config;
    const pk = e.pubkey;
    if (this.list('ban_pubkey').has(pk) || c.RELAY_PUBKEY_DENY.some((p) => p.toLowerCase() === pk)) return 'blocked: this pubkey may not publish here';
    const allowPk = this.list('allow_pubkey');
    if ((c.RELAY_PUBKEY_ALLOW.length || allowPk.size) && !allowPk.has(pk) && !c.RELAY_PUBKEY_ALLOW.some((p) => p.toLowerCase() === pk)) {
      return 'blocked: this pubkey is not on the allow list';
    }
    const kind = String(e.kind);
    if (this.list('deny_kind').has(kind) || c.RELAY_KIND_DENY.includes(e.kind)) return `blocked: kind ${e.kind} is not accepted here`;
    const allowKind = this.list('allow_kind');
    if ((c.RELAY_KIND_ALLOW.length || allowKind.size) && !allowKind.has(kind) && !c.RELAY_KIND_ALLOW.includes(e.kind)) return `blocked: kind ${e.kind} is not accepted here`;
    if (this.list('ban_event').has(e.id)) return 'blocked: this event is banned';
    return undefined;
  }

  /** The operator's hook, if any: the reason (with a prefix) when it refuses. */
  async hookError(e: NostrEvent, meta: { ip: string; authed: string[] }): Promise<string | undefined> {
    if (!this.#hook) return undefined;
    try {
      const d = await this.#hook(e, meta);
      if (d.accept) return undefined;
      return /^[a-z-]+: /.test(d.reason) ? d.reason : `blocked: ${d.reason}`;
    } catch {
      return 'error: the write policy failed';
    }
  }
}
