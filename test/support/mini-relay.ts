// TEST FIXTURE, not the project's relay: a minimal NIP-01/NIP-42 relay in memory that tests
// can stop, restart and set to refuse (lazy challenges, AUTH to publish, blocked kinds), over
// real sockets. It speaks EVENT, REQ, CLOSE, AUTH; answers OK, EOSE, CLOSED; and serves the
// gated kinds (4, 14, 1059) only to an authenticated recipient or author, as our relay does.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { matchFilters, type Filter } from 'nostr-tools/filter';
import { verifyEvent, type NostrEvent } from 'nostr-tools/pure';
import { WebSocketServer, type WebSocket } from 'ws';

/** Kinds readable only after AUTH, by a `p`-tagged recipient or the author. */
const GATED_KINDS = [4, 14, 1059];

export interface MiniRelayOptions {
  /** EVENT needs AUTH first (answers `auth-required:`). */
  authToPublish?: boolean;
  /** Send the AUTH challenge only with the first `auth-required:` answer, not on connect. */
  lazyChallenge?: boolean;
  /** Kinds refused with `blocked:`. */
  blockedKinds?: number[];
}

interface Client { ws: WebSocket; challenge: string; challenged: boolean; authed: Set<string>; subs: Map<string, Filter[]> }

export class MiniRelay {
  readonly opts: MiniRelayOptions;
  readonly events: NostrEvent[] = [];
  /** Every REQ received: subscription id and filters, for asserting resume `since`. */
  readonly reqs: Array<{ id: string; filters: Filter[] }> = [];
  /** Pubkeys that authenticated, ever. */
  readonly authed = new Set<string>();
  #wss?: WebSocketServer;
  readonly #clients = new Set<Client>();
  port = 0;

  constructor(opts: MiniRelayOptions = {}) {
    this.opts = opts;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  static async start(opts: MiniRelayOptions = {}): Promise<MiniRelay> {
    const relay = new MiniRelay(opts);
    await relay.listen();
    return relay;
  }

  /** Starts listening (again, on the same port after `stop`). */
  async listen(): Promise<void> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: this.port });
    await new Promise<void>((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => this.#accept(ws));
    this.#wss = wss;
  }

  /** Drops every connection and stops listening (the store survives, as on a restart). */
  async stop(): Promise<void> {
    for (const c of this.#clients) c.ws.terminate();
    this.#clients.clear();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
    this.#wss = undefined;
  }

  /** Adds an event as if someone had published it, and fans it out. */
  inject(event: NostrEvent): void {
    this.events.push(event);
    for (const c of this.#clients) this.#fanOut(c, event);
  }

  get connections(): number {
    return this.#clients.size;
  }

  #accept(ws: WebSocket): void {
    const client: Client = { ws, challenge: randomBytes(16).toString('hex'), challenged: false, authed: new Set(), subs: new Map() };
    this.#clients.add(client);
    ws.on('close', () => this.#clients.delete(client));
    ws.on('message', (data) => this.#handle(client, data.toString()));
    if (!this.opts.lazyChallenge) this.#challenge(client);
  }

  #challenge(c: Client): void {
    if (c.challenged) return;
    c.challenged = true;
    this.#send(c, ['AUTH', c.challenge]);
  }

  #authRequired(c: Client, msg: unknown[]): void {
    this.#challenge(c);
    this.#send(c, msg);
  }

  #send(c: Client, msg: unknown[]): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(msg));
  }

  #gated(kind: number): boolean {
    return GATED_KINDS.includes(kind);
  }

  #visible(c: Client, e: NostrEvent): boolean {
    if (!this.#gated(e.kind)) return true;
    return c.authed.has(e.pubkey) || e.tags.some((t) => t[0] === 'p' && c.authed.has(t[1]!));
  }

  #fanOut(c: Client, e: NostrEvent): void {
    for (const [id, filters] of c.subs) if (matchFilters(filters, e) && this.#visible(c, e)) this.#send(c, ['EVENT', id, e]);
  }

  #handle(c: Client, raw: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return this.#send(c, ['NOTICE', 'invalid: not JSON']);
    }
    if (!Array.isArray(msg)) return this.#send(c, ['NOTICE', 'invalid: not an array']);
    const [type, ...rest] = msg as [string, ...unknown[]];
    if (type === 'EVENT') return this.#event(c, rest[0] as NostrEvent);
    if (type === 'AUTH') return this.#auth(c, rest[0] as NostrEvent);
    if (type === 'CLOSE') return void c.subs.delete(String(rest[0]));
    if (type === 'REQ') return this.#req(c, String(rest[0]), rest.slice(1) as Filter[]);
    this.#send(c, ['NOTICE', `invalid: unknown message ${String(type)}`]);
  }

  #event(c: Client, e: NostrEvent): void {
    const id = typeof e?.id === 'string' ? e.id : '';
    if (!verifyEvent(e)) return this.#send(c, ['OK', id, false, 'invalid: bad signature or id']);
    if (this.opts.authToPublish && c.authed.size === 0) return this.#authRequired(c, ['OK', id, false, 'auth-required: publishing needs AUTH']);
    if (this.opts.blockedKinds?.includes(e.kind)) return this.#send(c, ['OK', id, false, `blocked: kind ${e.kind} not accepted`]);
    if (this.events.some((x) => x.id === id)) return this.#send(c, ['OK', id, true, 'duplicate: already have it']);
    this.#send(c, ['OK', id, true, '']);
    this.inject(e);
  }

  #auth(c: Client, e: NostrEvent): void {
    const id = typeof e?.id === 'string' ? e.id : '';
    const tag = (name: string) => e?.tags?.find((t) => t[0] === name)?.[1];
    const fresh = Math.abs(Date.now() / 1000 - (e?.created_at ?? 0)) < 600;
    if (!verifyEvent(e) || e.kind !== 22242 || !c.challenged || tag('challenge') !== c.challenge || !fresh || !tag('relay')?.includes(`127.0.0.1:${this.port}`)) {
      return this.#send(c, ['OK', id, false, 'invalid: bad AUTH event']);
    }
    c.authed.add(e.pubkey);
    this.authed.add(e.pubkey);
    this.#send(c, ['OK', id, true, '']);
  }

  #req(c: Client, id: string, filters: Filter[]): void {
    this.reqs.push({ id, filters });
    const wantsGated = filters.some((f) => !f.kinds || f.kinds.some((k) => this.#gated(k)));
    if (wantsGated && c.authed.size === 0) return this.#authRequired(c, ['CLOSED', id, 'auth-required: DMs are for their recipients']);
    c.subs.set(id, filters);
    for (const e of this.events) if (matchFilters(filters, e) && this.#visible(c, e)) this.#send(c, ['EVENT', id, e]);
    this.#send(c, ['EOSE', id]);
  }
}
