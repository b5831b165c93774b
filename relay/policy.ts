// Who may write what: size and time limits, per-IP and per-pubkey rate limits (shared by all
// relay processes through Redis), allow and deny lists (from config and from the NIP-86 API,
// kept in relay_lists), and the operator's write-policy hook. Every refusal is a NIP-01 reason
// with its machine-readable prefix.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import type { Config } from '../core/config.ts';
import type { Sql } from '../core/db.ts';
import type { Logger } from '../core/log.ts';
import { signedByUs } from '../core/nostr/secp.ts';
import { SharedRateLimit } from './rate-limits.ts';
import type { NostrEvent } from './types.ts';

/** What rate limits know of a connection: its address and whether it is one of our own. */
export interface Client { ip: string; exempt: boolean }

/** The operator's hook (RELAY_WRITE_POLICY): the module's default export. */
export type WritePolicy = (event: NostrEvent, meta: { ip: string; authed: string[] }) => WriteDecision | Promise<WriteDecision>;
export type WriteDecision = { accept: true } | { accept: false; reason: string };

export const listNames = ['ban_pubkey', 'allow_pubkey', 'ban_event', 'allow_kind', 'deny_kind', 'block_ip'] as const;
export type ListName = (typeof listNames)[number];

export interface PolicyOptions {
  redis: Redis;
  log: Logger;
  /** Public keys of the service's own bots (exempt from rate limits). */
  botPubkeys(): Promise<string[]>;
}

export class Policy {
  readonly config: Config;
  readonly sql: Sql;
  #lists = new Map<ListName, Map<string, string | null>>();
  #settings = new Map<string, string>();
  #hook: WritePolicy | undefined;
  readonly #o: PolicyOptions;
  readonly #exemptIps: Set<string>;
  #exemptPubkeys: Set<string>;
  readonly #limits: Record<'ipEvents' | 'pubkeyEvents' | 'ipReads' | 'ipAuth' | 'ipConnections', SharedRateLimit>;

  constructor(config: Config, sql: Sql, o: PolicyOptions) {
    this.config = config;
    this.sql = sql;
    this.#o = o;
    this.#exemptIps = new Set(config.RELAY_RATE_EXEMPT_IPS);
    this.#exemptPubkeys = new Set(config.RELAY_RATE_EXEMPT_PUBKEYS);
    const limit = (name: string, perSecond: number) => new SharedRateLimit({ redis: o.redis, prefix: config.REDIS_PREFIX, name, points: perSecond, log: o.log });
    this.#limits = {
      ipEvents: limit('ip-events', config.RELAY_RATE_IP_EVENTS),
      pubkeyEvents: limit('pubkey-events', config.RELAY_RATE_PUBKEY_EVENTS),
      ipReads: limit('ip-reads', config.RELAY_RATE_IP_REQS),
      ipAuth: limit('ip-auth', config.RELAY_RATE_IP_AUTH),
      ipConnections: limit('ip-connections', config.RELAY_RATE_IP_CONNECTIONS),
    };
  }

  /** Loads the write-policy hook and the managed lists; call `reload` after NIP-86 changes. */
  async init(): Promise<void> {
    if (this.config.RELAY_WRITE_POLICY) {
      const mod = await import(pathToFileURL(path.resolve(this.config.RELAY_WRITE_POLICY)).href) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error(`RELAY_WRITE_POLICY ${this.config.RELAY_WRITE_POLICY} has no default export function`);
      this.#hook = mod.default as WritePolicy;
    }
    await this.reload();
    await this.reloadBots();
  }

  /** Re-reads the bots' keys (a bot started after the relay creates its key then). */
  async reloadBots(): Promise<void> {
    this.#exemptPubkeys = new Set([...this.config.RELAY_RATE_EXEMPT_PUBKEYS, ...await this.#o.botPubkeys()]);
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

  /** Addresses exempt from rate limits (none by default: behind a proxy on this host every client is loopback). */
  isExemptIp(ip: string): boolean {
    return this.#exemptIps.has(ip);
  }

  /** One of the service's own bots, or a key the operator exempted. */
  isExemptPubkey(pubkey: string): boolean {
    return this.#exemptPubkeys.has(pubkey);
  }

  /** Per-IP and per-pubkey event rates: the `rate-limited:` reason, if any. */
  eventRateError(client: Client, e: NostrEvent): string | undefined {
    if (client.exempt || this.#exemptPubkeys.has(e.pubkey)) return undefined;
    const why = !this.#limits.ipEvents.take(client.ip) ? 'rate-limited: slow down, too many events from your address'
      : !this.#limits.pubkeyEvents.take(e.pubkey) ? 'rate-limited: slow down, too many events from this pubkey' : undefined;
    // What a bot beside us signed passes; asked only when over the limit, as it hashes the event.
    return why && !signedByUs(e) ? why : undefined;
  }

  /** Per-IP rate of REQ, COUNT and NEG-OPEN. */
  allowsRead(client: Client): boolean {
    return client.exempt || this.#limits.ipReads.take(client.ip);
  }

  /** Per-IP rate of AUTH messages (each costs a signature check). */
  allowsAuth(client: Client): boolean {
    return client.exempt || this.#limits.ipAuth.take(client.ip);
  }

  /** Per-IP rate of new connections, across processes. */
  allowsConnection(ip: string): boolean {
    return this.#exemptIps.has(ip) || this.#limits.ipConnections.take(ip);
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
