// Signature checks on worker threads. Verification is the relay's main CPU cost (~50 µs an
// event with native libsecp256k1; 0.3 ms when it was WASM), so events arriving in the same
// tick are split into batches across RELAY_VERIFY_THREADS threads while the main thread keeps
// serving sockets (with native checks, ingest measured about the same with threads as on the
// main thread alone: 9,400–11,000 against 9,400–10,000 events/s on two cores). A batch
// travels as one JSON string of the events' canonical forms: copying a string costs the main
// thread far less than structured-cloning event objects (which cost more than the checks).
// A tick with a few events to check does them on the main thread: handing them over costs
// about as much CPU as checking them (copies, wake-ups, the answer), so threads pay off only
// for the bursts where the main thread has better things to do.
// Events the bots in this same process signed (their replies, gift wraps under one-time keys)
// need no curve maths: their id is hashed and their signature compared with the one made here.
import { Worker } from 'node:worker_threads';
import { signedByUs } from '../core/nostr/secp.ts';
import type { Accepted, NostrEvent } from './types.ts';
import { verifyError } from './verify.ts';

type Result = string | undefined;
interface Pending { event: NostrEvent; raw: string; resolve(r: Result): void }

/** Largest tick's worth of events checked on the calling thread. */
const INLINE_MAX = 4;

/** `loaded`: the thread has loaded its modules (or exited); see close. */
interface Slot { worker: Worker; loaded: Promise<void>; load: number; batches: Map<number, Pending[]> }

export class VerifyPool {
  readonly #workers: Slot[] = [];
  #queue: Pending[] = [];
  #scheduled = false;
  #seq = 0;
  #closing = false;

  /** `threads` 0 verifies on the calling thread. */
  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const slot = { load: 0, batches: new Map<number, Pending[]>() } as Slot;
      this.#start(slot);
      this.#workers.push(slot);
    }
  }

  /**
   * Starts the slot's thread. A thread that dies (a crash, an out-of-memory kill) does not take
   * its events with it: they are checked here instead, and the slot gets a new thread.
   */
  #start(slot: Slot): void {
    const worker = new Worker(new URL('./verify-worker.ts', import.meta.url));
    slot.worker = worker;
    let loaded!: () => void;
    slot.loaded = new Promise((resolve) => { loaded = resolve; });
    worker.on('message', (m: 'loaded' | { seq: number; results: Array<string | null> }) => {
      if (m === 'loaded') return loaded();
      const batch = slot.batches.get(m.seq)!;
      slot.batches.delete(m.seq);
      slot.load -= batch.length;
      batch.forEach((p, i) => p.resolve(m.results[i] ?? undefined));
    });
    worker.on('error', () => {}); // followed by 'exit', which recovers
    worker.on('exit', () => {
      loaded();
      for (const batch of slot.batches.values()) for (const p of batch) p.resolve(verifyError(p.event));
      slot.batches.clear();
      slot.load = 0;
      if (!this.#closing) this.#start(slot);
    });
    worker.unref();
  }

  /** Undefined when the id and signature are valid; else why not. `raw` is the event's canonical JSON. */
  verify({ event, raw }: Accepted): Promise<Result> {
    if (signedByUs(event)) return Promise.resolve(undefined);
    if (this.#workers.length === 0) return Promise.resolve(verifyError(event));
    return new Promise((resolve) => {
      this.#queue.push({ event, raw, resolve });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length <= INLINE_MAX) {
      for (const p of queue) p.resolve(verifyError(p.event));
      return;
    }
    const size = Math.ceil(queue.length / this.#workers.length);
    for (let i = 0; i < queue.length; i += size) {
      const batch = queue.slice(i, i + size);
      const slot = this.#workers.reduce((a, b) => (b.load < a.load ? b : a));
      const seq = ++this.#seq;
      slot.batches.set(seq, batch);
      slot.load += batch.length;
      slot.worker.postMessage({ seq, events: `[${batch.map((p) => p.raw).join(',')}]` });
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    // Terminated while loading libsecp256k1's native binding, a thread aborts the whole process
    // (bcrypto asserts its exports were set): stop each one only once it has loaded.
    await Promise.all(this.#workers.map(async (w) => { await w.loaded; await w.worker.terminate(); }));
  }
}
