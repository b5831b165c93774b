// The wallet-connect service while this instance leads: one subscription for kind 23194
// p-tagged to any connection's service key, on every configured relay; each request is
// checked, recorded in PostgreSQL before anything it asks for happens, run, and answered
// (kind 23195) with the connection's own key in the request's encryption. Info events (kind
// 13194) are published per connection at start, on change and periodically.
import { randomBytes } from 'node:crypto';
import type { Filter } from 'nostr-tools/filter';
import type { NostrEvent } from 'nostr-tools/pure';
import { finalizeEvent } from '../../core/nostr/secp.ts';
import type { Context } from '../../core/context.ts';
import type { Sql } from '../../core/db.ts';
import { distinctOrThrow, GroupCommit, groupCommitPer, oneInFlight } from '../../core/group-commit.ts';
import type { Logger } from '../../core/log.ts';
import { nowSeconds, tagValues } from '../../core/nostr/event.ts';
import { BoundedSet, DEDUP_SIZE, type RelayPool } from '../../core/nostr/pool.ts';
import { PaymentError, type PaymentErrorCode } from '../../core/payments/errors.ts';
import { resultOf } from '../../core/payments/outgoing.ts';
import { getTransaction } from '../../core/payments/transactions.ts';
import { openServiceSecret, toConnection, type Connection, type ConnectionRow, type ConnectionStatus } from './connections.ts';
import { handlers, later, payAnswer, type HandlerResult, type Request } from './handlers.ts';
import {
  decrypt, encrypt, isMethod, kinds, methods, Nip47Error, notificationTypes, parseJson, parseParams, peer, requestEncryption,
  requestSchema, stringifyJson, supportedEncryptions, type Encryption, type ErrorCode, type Peer,
} from './nip47.ts';
import { RateLimiter } from './rate-limit.ts';

/** A connection as the service holds it: with its opened key and the client's shared secrets. */
export interface LiveConnection extends Connection {
  secretKey: Uint8Array;
  client: Peer;
}

/** What a request is answered with (before encryption). */
type Answer = { result_type: string; result: Record<string, unknown>; error: null } | { result_type: string; result: null; error: { code: ErrorCode; message: string } };

/** Revoked connections are still answered (UNAUTHORIZED) for this long, then forgotten. */
const REVOKED_ANSWERED_DAYS = 30;
/** p values per filter and filters per subscription, within the relay's default limits. */
const P_PER_FILTER = 500;
const FILTERS_PER_SUB = 10;
/** How far back a new subscription asks (the relay keeps ephemeral events this long). */
const START_LOOKBACK_SEC = 60;
const RESUBSCRIBE_LOOKBACK_SEC = 10;

/** Payment engine errors as NIP-47 codes: the one place they are mapped. */
const paymentCodes: Record<PaymentErrorCode, ErrorCode> = {
  insufficient_balance: 'INSUFFICIENT_BALANCE', not_found: 'NOT_FOUND', unavailable: 'INTERNAL', not_supported: 'NOT_IMPLEMENTED',
  invalid_request: 'OTHER', invalid_invoice: 'OTHER', wrong_network: 'OTHER', expired: 'OTHER', amount_required: 'OTHER',
  amount_mismatch: 'OTHER', amount_out_of_range: 'OTHER', already_paid: 'OTHER', self_payment: 'OTHER', idempotency_conflict: 'OTHER',
  account_held: 'RESTRICTED',
  limit_exceeded: 'QUOTA_EXCEEDED', account_frozen: 'RESTRICTED', payments_paused: 'INTERNAL',
};

// Recording a request and storing its answer are one statement each for the requests arriving
// together (group commit, as the payment path's writes): under load most of their cost was
// the statement and the commit, not the row. A batch naming one request twice (it arrived on
// two relays at once) runs item by item, so only one of them takes it.

/** For each item, whether the statement returned its event id. */
const returned = (items: Array<{ event_id: string }>, rows: Array<{ event_id: string }>): boolean[] => {
  const ids = new Set(rows.map((r) => r.event_id));
  return items.map((i) => ids.has(i.event_id));
};

interface NewRequest { event_id: string; connection_id: string; method: string | null; author: string; encryption: Encryption; instance: string }

interface Recorded { mine: boolean; state: ConnectionStatus }

/**
 * Inserts the requests not recorded before: for each, whether this call recorded it, and its
 * connection's state as the database has it now, so a revocation or expiry counts at once even
 * when this process missed its NOTIFY (one statement, no extra round trip).
 */
const recordsOf = groupCommitPer((sql: Sql) => new GroupCommit<NewRequest, Recorded>(async (items) => {
  distinctOrThrow(items.map((i) => i.event_id));
  const rows = await sql<{ event_id: string; mine: boolean; state: ConnectionStatus }[]>`
    with items as (
      select * from jsonb_to_recordset(${sql.json(items as never)}) as (event_id text, connection_id uuid, method text, author text, encryption text, instance text)
    ), mine as (
      insert into nwc_requests (event_id, connection_id, method, author, encryption, instance)
      select event_id, connection_id, method, author, encryption, instance from items
        order by event_id -- one order in every process, so two taking the same burst cannot deadlock
      on conflict (event_id) do nothing returning event_id
    )
    select i.event_id, m.event_id is not null as mine,
      case when c.revoked_at is not null or c.id is null then 'revoked' when c.expires_at <= now() then 'expired' else 'active' end as state
    from items i left join mine m using (event_id) left join nwc_connections c on c.id = i.connection_id`;
  const byId = new Map(rows.map((r) => [r.event_id, r]));
  return items.map((i) => byId.get(i.event_id)!);
}, oneInFlight));

/** Stores each request's answer unless another finisher did; true for each one stored here. */
const answersOf = groupCommitPer((sql: Sql) => new GroupCommit<{ event_id: string; response: NostrEvent }, boolean>(async (items) => {
  distinctOrThrow(items.map((i) => i.event_id));
  const stored = await sql<{ event_id: string }[]>`
    update nwc_requests r set status = 'done', response = a.response, answered_at = now()
    from jsonb_to_recordset(${sql.json(items as never)}) as a (event_id text, response jsonb)
    where r.event_id = a.event_id and r.status = 'processing' returning r.event_id`;
  return returned(items, stored);
}, oneInFlight));

interface AnswerTo { connection: LiveConnection; client: Peer; scheme: Encryption; event: { id: string; pubkey: string } }

const errorAnswer = (resultType: string, code: ErrorCode, message: string): Answer => ({ result_type: resultType, result: null, error: { code, message } });

/** The request's method and params, or the error answer when it cannot be read. */
function readRequest(event: NostrEvent, scheme: Encryption | undefined, client: Peer): { method: string; params: unknown } | Answer {
  if (!scheme) {
    return errorAnswer('', 'UNSUPPORTED_ENCRYPTION', `encryption ${JSON.stringify(tagValues(event, 'encryption')[0])} is not supported; use one of: ${supportedEncryptions.join(', ')}`);
  }
  let text: string;
  try {
    text = decrypt(scheme, client, event.content);
  } catch {
    return errorAnswer('', 'OTHER', `the content does not decrypt with ${scheme}`);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch {
    return errorAnswer('', 'OTHER', 'the content is not JSON');
  }
  const parsed = requestSchema.safeParse(json);
  return parsed.success ? parsed.data : errorAnswer('', 'OTHER', 'the request must be an object with a method (string) and params (object)');
}

export class NwcService {
  readonly ctx: Context;
  readonly pool: RelayPool;
  readonly log: Logger;
  /** Marks this process's claims on requests; a request claimed by another (dead) one is taken over. */
  readonly instance = randomBytes(8).toString('hex');
  readonly #byServiceKey = new Map<string, LiveConnection>();
  /** The accounts the connections pay from: only their payments can be a request's. */
  #walletAccounts = new Set<string>();
  readonly #limiter: RateLimiter;
  #subs: Array<{ close(): void }> = [];
  /** Requests delivered to any of this instance's subscriptions: a resubscription (on every new
   * connection) gets the last seconds again, which need no second look. */
  readonly #seen = new BoundedSet(DEDUP_SIZE);
  /** Payments whose request got its outcome from the handler here: their events need no lookup. */
  readonly #settledHere = new BoundedSet(DEDUP_SIZE);
  #subscribedKeys = '';
  #reloading?: Promise<void>;
  #reloadAgain = false;
  #stopped = false;

  constructor(ctx: Context, pool: RelayPool, log: Logger) {
    this.ctx = ctx;
    this.pool = pool;
    this.log = log;
    this.#limiter = new RateLimiter(ctx.config.NWC_RATE_PER_MINUTE);
  }

  connection(servicePubkey: string): LiveConnection | undefined {
    return this.#byServiceKey.get(servicePubkey);
  }

  /** Reloads connections; resubscribes when the set of keys changed; publishes new info events. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#reloadAgain = false;
        await this.#reload();
      } while (this.#reloadAgain && !this.#stopped);
    })().finally(() => { this.#reloading = undefined; });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    const rows = await this.ctx.sql<ConnectionRow[]>`
      select * from nwc_connections where revoked_at is null or revoked_at > now() - make_interval(days => ${REVOKED_ANSWERED_DAYS})`;
    const changed: LiveConnection[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.service_pubkey);
      const previous = this.#byServiceKey.get(row.service_pubkey);
      const c = toConnection(row);
      if (previous && previous.status === c.status) {
        Object.assign(previous, c);
        continue;
      }
      const secretKey = previous?.secretKey ?? openServiceSecret(this.ctx.keyring, row);
      const live: LiveConnection = { ...c, secretKey, client: previous?.client ?? peer(secretKey, c.clientPubkey) };
      this.#byServiceKey.set(c.servicePubkey, live);
      if (c.status === 'active' || previous) changed.push(live);
    }
    for (const key of this.#byServiceKey.keys()) if (!seen.has(key)) this.#byServiceKey.delete(key);
    this.#walletAccounts = new Set([...this.#byServiceKey.values()].map((c) => c.walletAccountId));
    if (this.#stopped) return;
    this.#subscribe();
    await Promise.all(changed.map((c) => this.publishInfo(c)));
  }

  /** One subscription (or a few, for many connections) with every service key as `#p`. */
  #subscribe(): void {
    const keys = [...this.#byServiceKey.keys()].sort();
    const joined = keys.join(',');
    if (joined === this.#subscribedKeys) return;
    const since = nowSeconds() - (this.#subscribedKeys ? RESUBSCRIBE_LOOKBACK_SEC : START_LOOKBACK_SEC);
    this.#subscribedKeys = joined;
    const filters: Filter[] = [];
    for (let i = 0; i < keys.length; i += P_PER_FILTER) filters.push({ kinds: [kinds.request], '#p': keys.slice(i, i + P_PER_FILTER), since });
    const subs = [];
    for (let i = 0; i < filters.length; i += FILTERS_PER_SUB) {
      subs.push(this.pool.subscribe(filters.slice(i, i + FILTERS_PER_SUB), (event) => this.handle(event), { seen: this.#seen }));
    }
    // New first, then the old ones: a request in between arrives twice at worst (and runs once).
    const old = this.#subs;
    this.#subs = subs;
    for (const s of old) s.close();
  }

  /** The info event of a connection: its methods, encryptions and notifications (empty once it ends). */
  infoEvent(c: LiveConnection): NostrEvent {
    const active = c.status === 'active';
    const notifies = active && c.scopes.includes('notifications');
    const capabilities = active ? [...methods.filter((m) => c.scopes.includes(m)), ...(notifies ? ['notifications'] : [])] : [];
    const tags = [['encryption', supportedEncryptions.join(' ')], ...(notifies ? [['notifications', notificationTypes.join(' ')]] : [])];
    return finalizeEvent({ kind: kinds.info, created_at: nowSeconds(), tags, content: capabilities.join(' ') }, c.secretKey);
  }

  async publishInfo(c: LiveConnection): Promise<void> {
    const results = await this.pool.publish(this.infoEvent(c));
    const failed = results.filter((r) => !r.ok);
    if (failed.length) this.log.warn({ connection: c.id, failed }, 'wallet-connect info event not accepted everywhere');
  }

  async publishAllInfo(): Promise<void> {
    for (const c of this.#byServiceKey.values()) if (c.status === 'active') await this.publishInfo(c);
  }

  /** Handles one kind-23194 event from any relay. Never throws. */
  async handle(event: NostrEvent): Promise<void> {
    try {
      await this.#handle(event);
    } catch (err) {
      this.log.error({ err, event: event.id }, 'wallet-connect request failed');
    }
  }

  async #handle(event: NostrEvent): Promise<void> {
    const connection = tagValues(event, 'p').map((p) => this.#byServiceKey.get(p)).find(Boolean);
    if (!connection || event.kind !== kinds.request) return;
    const now = nowSeconds();
    const [expiration] = tagValues(event, 'expiration');
    if (expiration !== undefined && (!/^\d+$/.test(expiration) || Number(expiration) <= now)) return this.#ignored(event, 'expired');
    if (event.created_at < now - this.ctx.config.NWC_REQUEST_MAX_AGE_SECONDS) return this.#ignored(event, 'too old');
    if (event.created_at > now + this.ctx.config.NWC_REQUEST_MAX_AGE_SECONDS) return this.#ignored(event, 'dated in the future');

    const scheme = requestEncryption(event);
    const client = event.pubkey === connection.clientPubkey ? connection.client : peer(connection.secretKey, event.pubkey);
    // An answer in a scheme the client did not name would not open: unsupported ones get NIP-44.
    const reply = { connection, client, scheme: scheme ?? 'nip44_v2', event };
    const request = readRequest(event, scheme, client);
    // A stranger's request is answered but writes no row: anyone may send them, without limit.
    if (event.pubkey !== connection.clientPubkey) {
      return this.#publish(reply, errorAnswer('method' in request ? request.method : '', 'UNAUTHORIZED', 'this public key has no wallet connected'));
    }
    const state = await this.#claim(event, connection, 'method' in request ? request.method : '', reply.scheme);
    if (!state) return;
    // An unreadable request is answered with its error; a readable one is run.
    const answer = 'method' in request ? await this.#run(connection, state, event, request.method, request.params) : request;
    if (answer) await this.#finish(reply, answer);
  }

  #ignored(event: NostrEvent, why: string): void {
    this.log.debug({ event: event.id, why }, 'wallet-connect request ignored');
  }

  /**
   * Records the request before anything is done for it. False when it was seen before: a
   * finished one is answered again with the stored response; one in flight here is left alone;
   * one left in flight by another process (which died) is taken over, since running a request
   * again repeats nothing (its side effects are keyed by the event id).
   * Returns the connection's state in the database when the request is this call's to run.
   */
  async #claim(event: NostrEvent, c: LiveConnection, method: string, scheme: Encryption): Promise<ConnectionStatus | undefined> {
    const recorded = await recordsOf(this.ctx.sql).submit({
      event_id: event.id, connection_id: c.id, method: method || null, author: event.pubkey, encryption: scheme, instance: this.instance,
    });
    if (recorded.mine) return recorded.state;
    const [row] = await this.ctx.sql<{ status: string; response: NostrEvent | null; instance: string }[]>`
      select status, response, instance from nwc_requests where event_id = ${event.id}`;
    if (!row) return undefined;
    if (row.status === 'done' && row.response) {
      await this.pool.publish(row.response);
      return undefined;
    }
    if (row.instance === this.instance) return undefined;
    const [taken] = await this.ctx.sql`
      update nwc_requests set instance = ${this.instance}
      where event_id = ${event.id} and status = 'processing' and instance = ${row.instance} returning 1`;
    return taken ? recorded.state : undefined;
  }

  /** Authorisation, scope, rate and params, then the method; every failure becomes its NIP-47 error. */
  async #run(c: LiveConnection, state: ConnectionStatus, event: NostrEvent, method: string, params: unknown): Promise<Answer | undefined> {
    let result: HandlerResult;
    try {
      if (event.pubkey !== c.clientPubkey) throw new Nip47Error('UNAUTHORIZED', 'this public key has no wallet connected');
      // `state` is the database's (read with the claim), not this process's copy.
      if (state === 'revoked') throw new Nip47Error('UNAUTHORIZED', 'this connection was revoked');
      if (state === 'expired' || (c.expiresAt && c.expiresAt.getTime() <= Date.now())) throw new Nip47Error('UNAUTHORIZED', 'this connection has expired');
      if (!this.#limiter.take(c.id)) throw new Nip47Error('RATE_LIMITED', 'too many requests; retry in a few seconds');
      if (!isMethod(method)) throw new Nip47Error('NOT_IMPLEMENTED', `unknown method ${JSON.stringify(method.slice(0, 64))}`);
      if (!c.scopes.includes(method)) throw new Nip47Error('RESTRICTED', `this connection may not call ${method}`);
      const handler = handlers[method] as (r: Request, p: unknown) => Promise<HandlerResult>;
      const settled = (transactionId: string) => this.#settledHere.add(transactionId);
      result = await handler({ ctx: this.ctx, connection: c, eventId: event.id, settled }, parseParams(method, params));
    } catch (err) {
      return this.#errorOf(method, err, event);
    }
    return result === later ? undefined : { result_type: method, result, error: null };
  }

  #errorOf(method: string, err: unknown, event: NostrEvent): Answer {
    if (err instanceof Nip47Error) return errorAnswer(method, err.code, err.message);
    if (err instanceof PaymentError) return errorAnswer(method, paymentCodes[err.code], err.message);
    this.log.error({ err, event: event.id, method }, 'wallet-connect method failed');
    return errorAnswer(method, 'INTERNAL', 'internal error');
  }

  /** Stores the signed answer (once: a second finisher finds it done) and publishes it. */
  async #finish(to: AnswerTo, answer: Answer): Promise<void> {
    const response = this.#sign(to, answer);
    if (!(await answersOf(this.ctx.sql).submit({ event_id: to.event.id, response }))) return;
    await this.#send(to, response);
  }

  /** Publishes an answer that is not recorded (to a request that has no row). */
  async #publish(to: AnswerTo, answer: Answer): Promise<void> {
    await this.#send(to, this.#sign(to, answer));
  }

  #sign(to: AnswerTo, answer: Answer): NostrEvent {
    return finalizeEvent({
      kind: kinds.response,
      created_at: nowSeconds(),
      tags: [['p', to.event.pubkey], ['e', to.event.id]],
      content: encrypt(to.scheme, to.client, stringifyJson(answer)),
    }, to.connection.secretKey);
  }

  async #send(to: AnswerTo, response: NostrEvent): Promise<void> {
    const results = await this.pool.publish(response);
    if (!results.some((r) => r.ok)) this.log.warn({ event: to.event.id, results }, 'wallet-connect answer not accepted by any relay');
  }

  /**
   * A payment that outlived its request's wait has finished: answer the request now. Told of
   * every finished payment of the service: most are nobody's request here, which costs no query.
   */
  async answerPayment(transactionId: string, accountId: string): Promise<void> {
    if (!this.#walletAccounts.has(accountId)) return; // not paid from a connection's wallet
    if (this.#settledHere.has(transactionId)) return; // answered (or being answered) by its handler
    const [row] = await this.ctx.sql<{ event_id: string; author: string; encryption: Encryption; method: string; service_pubkey: string }[]>`
      select r.event_id, r.author, r.encryption, r.method, c.service_pubkey from nwc_requests r join nwc_connections c on c.id = r.connection_id
      where r.transaction_id = ${transactionId} and r.status = 'processing'`;
    const connection = row && this.#byServiceKey.get(row.service_pubkey);
    if (!row || !connection) return;
    const t = await getTransaction(this.ctx.sql, transactionId);
    if (!t || (t.status !== 'succeeded' && t.status !== 'failed')) return;
    let answer: Answer;
    try {
      answer = { result_type: row.method, result: payAnswer(resultOf(t)) as Record<string, unknown>, error: null };
    } catch (err) {
      answer = this.#errorOf(row.method, err, { id: row.event_id } as NostrEvent);
    }
    const client = row.author === connection.clientPubkey ? connection.client : peer(connection.secretKey, row.author);
    await this.#finish({ connection, client, scheme: row.encryption, event: { id: row.event_id, pubkey: row.author } }, answer);
  }

  connections(): IterableIterator<LiveConnection> {
    return this.#byServiceKey.values();
  }

  stop(): void {
    this.#stopped = true;
    for (const s of this.#subs) s.close();
    this.#subs = [];
  }
}
