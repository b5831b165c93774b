// Typed jobs over BullMQ. Every job is declared once with a zod schema for its payload and
// result; enqueue validates, processors receive parsed payloads, and a job id is an
// idempotency key: enqueueing the same id twice runs the job once.
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job, type JobsOptions, type RedisOptions } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from './log.ts';
import { metrics } from './metrics.ts';
import { CodedError } from './errors.ts';
import { withDeadline } from './deadline.ts';

export interface JobDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  queue: string;
  payload: P;
  result: R;
  /** Attempts in all; only jobs safe to repeat retry (with exponential backoff). */
  attempts?: number;
}

export function defineJob<P extends z.ZodType, R extends z.ZodType>(def: JobDef<P, R>): JobDef<P, R> {
  return def;
}

export type JobMap = Record<string, JobDef>;
export type Handlers<J extends JobMap> = {
  [K in keyof J]?: (payload: z.infer<J[K]['payload']>, job: Job) => Promise<z.input<J[K]['result']>>;
};

export class QueueTimeoutError extends CodedError<'queue_timeout'> {
  override name = 'QueueTimeoutError';
  readonly jobId: string;
  constructor(jobName: string, jobId: string, ms: number) {
    super('queue_timeout', `${jobName} job ${jobId} gave no result within ${ms} ms; it may still finish`);
    this.jobId = jobId;
  }
}

export class JobFailedError extends CodedError<'job_failed'> {
  override name = 'JobFailedError';
  readonly jobId: string;
  readonly reason: string;
  constructor(jobName: string, jobId: string, reason: string) {
    super('job_failed', `${jobName} job ${jobId} failed: ${reason}`);
    this.jobId = jobId;
    this.reason = reason;
  }
}

/** Redis did not take a job in time (unreachable, or stalled); the add may still land later, as the same job. */
export class QueueUnavailableError extends CodedError<'queue_unavailable'> {
  override name = 'QueueUnavailableError';
  constructor(jobName: string, ms: number) {
    super('queue_unavailable', `${jobName} job not queued within ${ms} ms; Redis may be unreachable`);
  }
}

/** How long an add waits for Redis by default: the connection retries forever, the caller must not. */
const ADD_TIMEOUT_MS = 5000;
const CLOSE_GRACE_MS = 10_000;

/** Redis carries JSON: bigints travel as decimal strings and schemas coerce them back. */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

/** BullMQ ids may not contain ':' nor be integers; long or odd keys are hashed. */
export function jobIdFor(key: string): string {
  return /^[A-Za-z0-9._-]{1,100}$/.test(key) && !/^\d+$/.test(key)
    ? key
    : 'h' + createHash('sha256').update(key).digest('hex').slice(0, 40);
}

export interface BusOptions {
  redisUrl: string;
  prefix: string;
  log: Logger;
  /** How long enqueue waits for Redis to take a job (default ADD_TIMEOUT_MS). */
  addTimeoutMs?: number;
}

/** One per process: the queues, their event streams and workers, on shared connections. */
export class JobBus<J extends JobMap> {
  readonly #queues = new Map<string, Queue>();
  readonly #events = new Map<string, Promise<QueueEvents>>();
  readonly #workers: Worker[] = [];
  readonly #conn: RedisOptions;
  readonly jobs: J;
  readonly opts: BusOptions;

  constructor(jobs: J, opts: BusOptions) {
    this.jobs = jobs;
    this.opts = opts;
    this.#conn = { url: opts.redisUrl, maxRetriesPerRequest: null };
  }

  #queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.#conn, prefix: this.opts.prefix });
      q.setMaxListeners(0); // each concurrent add waits on the same queue
      q.on('error', (err) => this.opts.log.warn({ err, queue: name }, 'queue connection error'));
      this.#queues.set(name, q);
    }
    return q;
  }

  #queueEvents(name: string): Promise<QueueEvents> {
    let ev = this.#events.get(name);
    if (!ev) {
      const qe = new QueueEvents(name, { connection: this.#conn, prefix: this.opts.prefix });
      qe.setMaxListeners(0); // every waiting `call` listens here; hundreds at once is normal
      qe.on('error', (err) => this.opts.log.warn({ err, queue: name }, 'queue events connection error'));
      ev = qe.waitUntilReady().then(() => qe);
      this.#events.set(name, ev);
    }
    return ev;
  }

  /** Validates and adds the job; the same id added again is the same job. */
  #add<K extends keyof J & string>(name: K, payload: z.input<J[K]['payload']>, opts: { id: string; delayMs?: number }): Promise<Job> {
    const def = this.jobs[name]!;
    const data = toWire(def.payload.parse(payload));
    const attempts = def.attempts ?? 1;
    const jobOpts: JobsOptions = {
      jobId: jobIdFor(`${name}|${opts.id}`),
      attempts,
      backoff: { type: 'exponential', delay: 500 },
      delay: opts.delayMs,
      // Kept long enough that a repeated id finds the finished job instead of running again.
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
    return this.#queue(def.queue).add(name, data, jobOpts);
  }

  /** Validates and enqueues; returns the job id. The same id enqueued again is the same job. */
  async enqueue<K extends keyof J & string>(name: K, payload: z.input<J[K]['payload']>, opts: { id: string; delayMs?: number }): Promise<string> {
    const ms = this.opts.addTimeoutMs ?? ADD_TIMEOUT_MS;
    return (await withDeadline(this.#add(name, payload, opts), ms, () => new QueueUnavailableError(name, ms))).id!;
  }

  /**
   * Enqueues and waits for the result. A timeout means "unknown", never "failed". The job
   * `add` returns is awaited by its id (BullMQ checks whether it finished already, then
   * listens), so no second read of the job is needed. The timeout counts from the call, so
   * that a Redis that does not answer (the connection retries forever) is a timeout too.
   */
  async call<K extends keyof J & string>(name: K, payload: z.input<J[K]['payload']>, opts: { id: string; timeoutMs: number }): Promise<z.infer<J[K]['result']>> {
    const def = this.jobs[name]!;
    const jobId = jobIdFor(`${name}|${opts.id}`);
    let added = false;
    const finished = (async () => {
      const events = await this.#queueEvents(def.queue);
      const job = await this.#add(name, payload, opts);
      added = true;
      return job.waitUntilFinished(events);
    })();
    try {
      const result = await withDeadline(finished, opts.timeoutMs, () => new QueueTimeoutError(name, jobId, opts.timeoutMs));
      return def.result.parse(result) as z.infer<J[K]['result']>;
    } catch (err) {
      if (err instanceof QueueTimeoutError || !added) throw err;
      throw new JobFailedError(name, jobId, (err as Error).message);
    }
  }

  /** Starts a worker for `queue` that dispatches each job to its typed handler. */
  process(queue: string, handlers: Handlers<J>, opts: { concurrency: number }): Worker {
    const worker = new Worker(queue, async (job: Job) => {
      const def = this.jobs[job.name];
      const handler = handlers[job.name as keyof J];
      if (!def || def.queue !== queue || !handler) throw new Error(`no handler for job ${job.name} on queue ${queue}`);
      const started = performance.now();
      const log = this.opts.log.child({ job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
      try {
        const result = toWire(def.result.parse(await handler(def.payload.parse(job.data) as never, job)));
        metrics.jobs.inc({ queue, job: job.name, outcome: 'completed' });
        return result;
      } catch (err) {
        metrics.jobs.inc({ queue, job: job.name, outcome: 'failed' });
        log.warn({ err }, 'job failed');
        throw err;
      } finally {
        metrics.jobSeconds.observe({ queue, job: job.name }, (performance.now() - started) / 1000);
      }
    }, { connection: this.#conn, prefix: this.opts.prefix, concurrency: opts.concurrency });
    worker.on('error', (err) => this.opts.log.error({ err, queue }, 'worker error'));
    this.#workers.push(worker);
    return worker;
  }

  async getJob(name: keyof J & string, id: string): Promise<Job | undefined> {
    return this.#queue(this.jobs[name]!.queue).getJob(jobIdFor(`${name}|${id}`));
  }

  /**
   * Stops taking jobs, lets running ones finish, then closes every connection. A worker whose
   * close hangs (its Redis stopped answering mid-command) is left after CLOSE_GRACE_MS: its
   * jobs' locks run out and another worker runs them again.
   */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => withDeadline(w.close(), CLOSE_GRACE_MS, () => new CodedError('queue_close_timeout', `the ${w.name} worker did not close within ${CLOSE_GRACE_MS} ms`))
      .catch((err: unknown) => this.opts.log.error({ err, queue: w.name }, 'a worker did not close in time; leaving it'))));
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    await Promise.all([...this.#events.values()].map(async (e) => (await e).close()));
  }
}
