// Live subscriptions indexed by what their filters require (an id, an author, a tag value,
// a kind), so an incoming event is only tested against the filters that could match it,
// not against every open subscription.
import { matchesNothing, matchFilter } from './filter.ts';
import type { Filter, NostrEvent } from './types.ts';

export interface LiveSubscription {
  readonly id: string;
  readonly filters: Filter[];
}

interface Entry<S> { sub: S; filter: Filter }
type Bucket<S> = Set<Entry<S>>;

export class LiveIndex<S extends LiveSubscription> {
  readonly #byId = new Map<string, Bucket<S>>();
  readonly #byAuthor = new Map<string, Bucket<S>>();
  readonly #byTag = new Map<string, Bucket<S>>();
  readonly #byKind = new Map<number, Bucket<S>>();
  readonly #any: Bucket<S> = new Set();
  readonly #placed = new Map<S, Array<{ bucket: Bucket<S>; map?: Map<string | number, Bucket<S>>; key?: string | number; entry: Entry<S> }>>();

  get size(): number {
    return this.#placed.size;
  }

  add(sub: S): void {
    const placed: Array<{ bucket: Bucket<S>; map?: Map<string | number, Bucket<S>>; key?: string | number; entry: Entry<S> }> = [];
    for (const filter of sub.filters) {
      if (matchesNothing(filter)) continue;
      const entry = { sub, filter };
      const put = <K extends string | number>(map: Map<K, Bucket<S>>, keys: K[]) => {
        for (const key of new Set(keys)) {
          let bucket = map.get(key);
          if (!bucket) map.set(key, (bucket = new Set()));
          bucket.add(entry);
          placed.push({ bucket, map: map as Map<string | number, Bucket<S>>, key, entry });
        }
      };
      // The most selective field present decides where the filter waits.
      if (filter.ids) put(this.#byId, filter.ids);
      else if (filter.authors) put(this.#byAuthor, filter.authors);
      else if (filter.tags?.length) {
        const [name, values] = filter.tags.reduce((best, t) => (t[1].length < best[1].length ? t : best));
        put(this.#byTag, values.map((v) => `${name}:${v}`));
      } else if (filter.kinds) put(this.#byKind, filter.kinds);
      else {
        this.#any.add(entry);
        placed.push({ bucket: this.#any, entry });
      }
    }
    this.#placed.set(sub, placed);
  }

  remove(sub: S): void {
    for (const { bucket, map, key, entry } of this.#placed.get(sub) ?? []) {
      bucket.delete(entry);
      if (map && bucket.size === 0) map.delete(key!);
    }
    this.#placed.delete(sub);
  }

  /** Every subscription with a filter matching `e`, each once. */
  match(e: NostrEvent): Set<S> {
    const hits = new Set<S>();
    const test = (bucket: Bucket<S> | undefined) => {
      if (!bucket) return;
      for (const { sub, filter } of bucket) if (!hits.has(sub) && matchFilter(filter, e)) hits.add(sub);
    };
    test(this.#byId.get(e.id));
    test(this.#byAuthor.get(e.pubkey));
    test(this.#byKind.get(e.kind));
    for (const t of e.tags) if (t[0]?.length === 1 && t[1] !== undefined) test(this.#byTag.get(`${t[0]}:${t[1]}`));
    test(this.#any);
    return hits;
  }
}
