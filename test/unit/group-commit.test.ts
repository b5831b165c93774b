// The group committer on its own: how batches form and how one bad item is kept from its neighbours.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../core/group-commit.ts';

/** A writer that records each batch and holds it until released. */
function holdingWriter(refuse: (n: number) => boolean = () => false) {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const write = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((r) => releases.push(r));
    if (items.some(refuse)) throw new Error(`refused ${items.filter(refuse).join(',')}`);
    return items.map((n) => n * 10);
  };
  const releaseAll = async () => {
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, write, releaseAll };
}

describe('GroupCommit', () => {
  it('sends a lone item at once and gathers the items that arrive while batches are in flight', async () => {
    const w = holdingWriter();
    const gc = new GroupCommit(w.write, { batchMax: 3, maxInFlight: 1 });
    const first = gc.submit(1);
    expect(w.batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => gc.submit(n));
    expect(w.batches).toEqual([[1]]);
    await w.releaseAll();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(w.batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('keeps up to maxInFlight batches going at once', async () => {
    const w = holdingWriter();
    const gc = new GroupCommit(w.write, { batchMax: 10, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((n) => gc.submit(n));
    expect(w.batches).toEqual([[1], [2]]);
    await w.releaseAll();
    await Promise.all(all);
    expect(w.batches).toEqual([[1], [2], [3, 4]]);
  });

  it('retries a failed batch item by item: only the bad item fails, with its own error', async () => {
    const w = holdingWriter((n) => n === 3);
    const gc = new GroupCommit(w.write, { batchMax: 10, maxInFlight: 1 });
    const results = [1, 2, 3, 4].map((n) => gc.submit(n).then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    await w.releaseAll();
    expect(await Promise.all(results)).toEqual([{ v: 10 }, { v: 20 }, { e: 'refused 3' }, { v: 40 }]);
    expect(w.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('with a delay, gathers a batch for that long unless it fills up, and drains what is queued', async () => {
    const w = holdingWriter();
    const gc = new GroupCommit(w.write, { batchMax: 3, maxInFlight: 1, delayMs: 60_000 });
    const some = [1, 2].map((n) => gc.submit(n));
    expect(w.batches).toEqual([]);
    const full = gc.submit(3);
    expect(w.batches).toEqual([[1, 2, 3]]);
    const late = gc.submit(4);
    const drained = gc.drain();
    await w.releaseAll();
    await drained;
    expect(await Promise.all([...some, full, late])).toEqual([10, 20, 30, 40]);
    expect(w.batches).toEqual([[1, 2, 3], [4]]);
  });
});
