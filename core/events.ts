// Domain events through a transactional outbox: the row is written in the same database
// transaction as the ledger change, published to a Redis Stream after commit, and re-published
// by the workers if a crash came in between. Delivery is at least once: consumers dedupe by
// `id`. Event types are an open registry (`defineEvent`: type → zod schema); consumers
// subscribe by type. The payment events are in core/payments/events.ts.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Sql, Tx } from './db.ts';
import type { Logger } from './log.ts';
import { logErrors } from './redis.ts';
import { toWire } from './queue.ts';

/** A kind of event: its type on the wire and the schema of the whole event (id, type, occurredAt included). */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  schema: S;
}

const registry = new Map<string, EventDefinition>();

/**
 * Registers an event type with the fields it carries (the registry is open: each rail or
 * feature defines its own). `id` (the outbox id, unique and increasing per publisher) and
 * `occurredAt` are added by the outbox; bigints travel as decimal strings (use z.coerce.bigint()).
 */
export function defineEvent<const T extends string, Shape extends z.ZodRawShape>(type: T, fields: Shape) {
  if (registry.has(type)) throw new Error(`event type ${type} is defined twice`);
  const schema = z.object({ id: z.string(), type: z.literal(type), ...fields, occurredAt: z.coerce.date() });
  const definition = { type, schema };
  registry.set(type, definition);
  return definition;
}

export type EventOf<D extends EventDefinition> = z.infer<D['schema']>;
/** What a producer records: the event without the fields the outbox adds. */
export type EventInput<D extends EventDefinition> = D extends EventDefinition ? Omit<EventOf<D>, 'id' | 'occurredAt'> : never;

export const streamKey = (prefix: string) => `${prefix}:events`;
const STREAM_MAX = 1_000_000;
const BATCH = 500;

/** Writes events in the caller's transaction (one statement); they are published once it commits. */
export async function recordEvent(tx: Tx, ...events: Array<{ type: string } & Record<string, unknown>>): Promise<void> {
  const unknown = events.find((e) => !registry.has(e.type));
  if (unknown) throw new Error(`event type ${unknown.type} is not defined (defineEvent)`);
  await tx`insert into event_outbox ${tx(events.map((e) => ({ type: e.type, payload: tx.json(toWire(e) as never) })))}`;
}

export interface EventDeps { sql: Sql; redis: Redis; prefix: string; log: Logger }

/** How long a publisher's claim on events lasts; after a crash they are published by the next flush after it. */
const CLAIM_SECONDS = 30;

/**
 * Publishes up to one batch of unpublished events. Concurrent publishers skip each other's
 * claimed rows; a row is marked published only once Redis has it (a crash in between publishes
 * it again later, which consumers dedupe by id).
 */
async function publishBatch(d: EventDeps): Promise<number> {
  const rows = await d.sql<{ id: bigint; type: string; payload: Record<string, unknown>; created_at: Date }[]>`
    update event_outbox set claimed_until = now() + make_interval(secs => ${CLAIM_SECONDS})
    where id in (select id from event_outbox where published_at is null and (claimed_until is null or claimed_until < now())
                 order by id limit ${BATCH} for update skip locked)
    returning id, type, payload, created_at`;
  if (!rows.length) return 0;
  rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  const ids = d.sql.array(rows.map((r) => r.id), 20);
  const pipe = d.redis.pipeline();
  for (const r of rows) {
    const data = { ...r.payload, id: r.id.toString(), occurredAt: r.created_at.toISOString() };
    pipe.xadd(streamKey(d.prefix), 'MAXLEN', '~', STREAM_MAX, '*', 'type', r.type, 'data', JSON.stringify(data));
  }
  const results = await pipe.exec().catch((err: unknown) => [[err, null] as const]);
  const failed = results?.find(([err]) => err);
  if (failed) {
    // Whatever Redis did take is published again with the rest: at least once.
    await d.sql`update event_outbox set claimed_until = null where id = any(${ids}::int8[])`;
    throw failed[0];
  }
  await d.sql`update event_outbox set published_at = now() where id = any(${ids}::int8[])`;
  return rows.length;
}

const flushing = new WeakMap<Sql, { again: boolean; done: Promise<void> }>();

/**
 * Publishes everything unpublished. Calls while a flush runs coalesce into one more pass;
 * errors are logged (the rows stay in the outbox for the re-publisher).
 */
export function flushEvents(d: EventDeps): Promise<void> {
  const running = flushing.get(d.sql);
  if (running) {
    running.again = true;
    return running.done;
  }
  const state = { again: false, done: Promise.resolve() };
  state.done = (async () => {
    do {
      state.again = false;
      while ((await publishBatch(d)) === BATCH);
    } while (state.again);
  })().catch((err: unknown) => d.log.error({ err }, 'publishing events failed; the re-publisher will retry'))
    .finally(() => flushing.delete(d.sql));
  flushing.set(d.sql, state);
  return state.done;
}

/**
 * After Redis lost its data (a flush, or an empty server in its place) the stream no longer
 * holds what was published shortly before: unconsumed events would be lost. A marker key
 * tells: when it is missing, the events published in the last `windowSeconds` are published
 * again (consumers dedupe by id or by their own claims). Returns how many.
 */
export async function republishIfLost(d: EventDeps, windowSeconds: number): Promise<number> {
  if ((await d.redis.set(`${streamKey(d.prefix)}:alive`, '1', 'NX')) !== 'OK') return 0;
  const rows = await d.sql`
    update event_outbox set published_at = null, claimed_until = null
    where published_at > now() - make_interval(secs => ${windowSeconds})`;
  if (rows.count) d.log.warn({ events: rows.count }, 'Redis lost its data: publishing recent events again');
  return rows.count;
}

/** Removes published events older than `keepHours` (the stream keeps its own copy). */
export async function pruneEvents(sql: Sql, keepHours = 24): Promise<void> {
  await sql`delete from event_outbox where published_at < now() - make_interval(hours => ${keepHours})`;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

export interface ConsumeOptions<D extends EventDefinition> {
  /** A dedicated connection is made from it: blocking reads hold their connection. */
  redis: Redis;
  prefix: string;
  /** Consumer group: each group gets every event once; its consumers share the work. */
  group: string;
  consumer: string;
  /** The event types this consumer handles; others are acknowledged and skipped. */
  events: readonly D[];
  /** Where a new group starts: `$` only new events (default), `0` the whole stream. */
  startAt?: '$' | '0';
  /** Pending entries idle this long (a crashed consumer's) are claimed and retried. */
  claimIdleMs?: number;
  blockMs?: number;
  log: Logger;
  handler: (event: EventOf<D>) => Promise<void>;
  /**
   * Instead of `handler` one at a time: every wanted event of a read at once (a consumer whose
   * work is one query for many events). Throwing leaves them all unacknowledged, to come again.
   */
  handleBatch?: (events: Array<EventOf<D>>) => Promise<void>;
}

/**
 * Reads events with XREADGROUP and acknowledges each after `handler` resolves; a handler
 * that throws leaves the entry pending, to be claimed again after `claimIdleMs`.
 */
export async function consumeEvents<D extends EventDefinition>(o: ConsumeOptions<D>): Promise<{ stop(): Promise<void> }> {
  const wanted = new Map<string, D>(o.events.map((d) => [d.type, d]));
  const conn = logErrors(o.redis.duplicate(), o.log, `events:${o.group}`);
  const key = streamKey(o.prefix);
  const createGroup = async (startAt: '$' | '0') => {
    try {
      await conn.xgroup('CREATE', key, o.group, startAt, 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  };
  await createGroup(o.startAt ?? '$');
  let stopped = false;
  const handle = async (entries: Array<[string, string[]]>) => (o.handleBatch ? handleBatch(entries, o.handleBatch) : handleEach(entries));
  const parse = (fields: string[]) => {
    const field = (name: string) => fields.find((_, i) => i % 2 === 1 && fields[i - 1] === name);
    return wanted.get(field('type') ?? '')?.schema.safeParse(parseJson(field('data')));
  };
  const handleBatch = async (entries: Array<[string, string[]]>, run: (events: Array<EventOf<D>>) => Promise<void>) => {
    const events: Array<EventOf<D>> = [];
    for (const [entryId, fields] of entries) {
      const parsed = parse(fields);
      if (parsed && !parsed.success) o.log.error({ entryId, issues: parsed.error.issues }, 'skipping malformed event');
      else if (parsed) events.push(parsed.data as EventOf<D>);
    }
    try {
      if (events.length) await run(events);
    } catch (err) {
      o.log.warn({ err, entries: entries.length }, 'event batch handler failed; will retry');
      return;
    }
    if (entries.length) await conn.xack(key, o.group, ...entries.map(([id]) => id));
  };
  const handleEach = async (entries: Array<[string, string[]]>) => {
    const done: string[] = [];
    for (const [entryId, fields] of entries) {
      const field = (name: string) => fields.find((_, i) => i % 2 === 1 && fields[i - 1] === name);
      const definition = wanted.get(field('type') ?? '');
      const parsed = definition?.schema.safeParse(parseJson(field('data')));
      if (parsed && !parsed.success) {
        o.log.error({ entryId, issues: parsed.error.issues }, 'skipping malformed event');
      } else if (parsed) {
        try {
          await o.handler(parsed.data as EventOf<D>);
        } catch (err) {
          o.log.warn({ err, entryId }, 'event handler failed; will retry');
          continue;
        }
      }
      done.push(entryId);
    }
    // One acknowledgement for the read; a crash before it only means those events come again.
    if (done.length) await conn.xack(key, o.group, ...done);
  };
  const loop = (async () => {
    let claimAt = 0;
    while (!stopped) {
      try {
        if (Date.now() >= claimAt) {
          claimAt = Date.now() + (o.claimIdleMs ?? 30_000);
          const [, claimed] = (await conn.xautoclaim(key, o.group, o.consumer, o.claimIdleMs ?? 30_000, '0', 'COUNT', 100)) as [string, Array<[string, string[]]>];
          await handle(claimed.filter((e) => e[1]));
        }
        const res = (await conn.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', 100, 'BLOCK', o.blockMs ?? 1000, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]> | null;
        if (res) await handle(res[0]![1]);
      } catch (err) {
        if (stopped) break;
        if (String((err as Error).message).startsWith('NOGROUP')) {
          // Redis lost its data: the stream is new, and everything in it is unread.
          o.log.warn({ group: o.group }, 'event stream or consumer group lost; reading the new stream from its start');
          if (await createGroup('0').then(() => true, () => false)) continue;
        }
        o.log.error({ err }, 'event consumer error; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      conn.disconnect();
    },
  };
}
