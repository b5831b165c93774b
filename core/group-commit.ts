// Group commit: writes from many callers go to the database in batches, one transaction per
// batch, so that they share a statement and a commit instead of paying for one each. A batch
// leaves at once while fewer than `maxInFlight` are being written; whatever arrives meanwhile
// waits and leaves together when one finishes, so batches grow with load and a lone write
// waits for nothing. A batch that fails is retried item by item, so that one bad item gets
// its own error and does not fail its neighbours.

interface Pending<I, O> { item: I; resolve(o: O): void; reject(e: unknown): void }

export class GroupCommit<I, O> {
  readonly #write: (items: I[]) => Promise<O[]>;
  readonly #batchMax: number;
  readonly #maxInFlight: number;
  #queue: Array<Pending<I, O>> = [];
  #inFlight = 0;

  /** `write` commits the items in one transaction and returns their outcomes in order. */
  constructor(write: (items: I[]) => Promise<O[]>, opts: { batchMax: number; maxInFlight: number }) {
    this.#write = write;
    this.#batchMax = opts.batchMax;
    this.#maxInFlight = opts.maxInFlight;
  }

  /** Settles once the item's batch has committed (or with the item's own error). */
  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length) {
      const batch = this.#queue.splice(0, this.#batchMax);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#flush();
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
