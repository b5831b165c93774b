// Group commit: writes from many callers go to the database in batches, one transaction per
// batch, so that they share a statement and a commit instead of paying for one each. Up to
// `maxInFlight` batches are written at once; whatever arrives meanwhile waits and leaves
// together when one finishes, so batches grow with load. With `delayMs` a batch also waits
// that long for company (unless it is full); without, a lone write waits for nothing. A batch
// that fails is retried item by item, so that one bad item gets its own error and does not
// fail its neighbours.

interface Pending<I, O> { item: I; resolve(o: O): void; reject(e: unknown): void }

export interface GroupCommitOptions { batchMax: number; maxInFlight: number; delayMs?: number }

/**
 * The usual options: up to 50 items, one batch in flight. Most of a statement's cost is per
 * statement, not per row; measured against two in flight, one makes batches larger and took
 * less CPU per item (the payment path's stages, the fake node's sends, NWC and DM claims).
 */
export const oneInFlight: GroupCommitOptions = { batchMax: 50, maxInFlight: 1 };

export class GroupCommit<I, O> {
  readonly #write: (items: I[]) => Promise<O[]>;
  readonly #opts: GroupCommitOptions;
  #queue: Array<Pending<I, O>> = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #drained: Array<() => void> = [];

  /** `write` commits the items in one transaction and returns their outcomes in order. */
  constructor(write: (items: I[]) => Promise<O[]>, opts: GroupCommitOptions) {
    this.#write = write;
    this.#opts = opts;
  }

  /** Settles once the item's batch has committed (or with the item's own error). */
  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#opts.delayMs && this.#queue.length < this.#opts.batchMax) this.#timer ??= setTimeout(() => this.#flush(), this.#opts.delayMs);
      else this.#flush();
    });
  }

  /** Waits until every submitted item has committed. */
  async drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.#drained.push(resolve);
      this.#flush();
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#inFlight < this.#opts.maxInFlight && this.#queue.length) {
      const batch = this.#queue.splice(0, this.#opts.batchMax);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        // Whatever queued meanwhile has waited long enough.
        if (this.#queue.length) this.#flush();
        else if (this.#inFlight === 0) for (const done of this.#drained.splice(0)) done();
      });
    }
  }

  async #commit(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const outcomes = await this.#write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const p of batch) {
        try {
          p.resolve((await this.#write([p.item]))[0]!);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }
}

/** One GroupCommit per database pool (`key`), made on first use by `make`. */
export function groupCommitPer<K extends object, I, O>(make: (key: K) => GroupCommit<I, O>): (key: K) => GroupCommit<I, O> {
  const made = new WeakMap<K, GroupCommit<I, O>>();
  return (key) => {
    let g = made.get(key);
    if (!g) made.set(key, g = make(key));
    return g;
  };
}

/** Throws when a batch names one thing twice, so that GroupCommit runs its items one by one. */
export function distinctOrThrow(ids: string[]): void {
  if (new Set(ids).size < ids.length) throw new Error('the batch names one item twice; it runs item by item');
}
