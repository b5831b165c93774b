// The live index finds exactly the subscriptions a brute-force scan of every filter finds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchAny } from '../../relay/filter.ts';
import { LiveIndex } from '../../relay/live-index.ts';
import type { Filter, NostrEvent } from '../../relay/types.ts';

const hex = (c: string) => c.repeat(64);
const ids = fc.constantFrom(hex('a'), hex('b'), hex('c'));
const pks = fc.constantFrom(hex('1'), hex('2'), hex('3'));
const kinds = fc.constantFrom(1, 4, 7, 30000);
const tagValues = fc.constantFrom('x', 'y', 'z');

const filter: fc.Arbitrary<Filter> = fc.record({
  ids: fc.array(ids, { maxLength: 2 }),
  authors: fc.array(pks, { maxLength: 2 }),
  kinds: fc.array(kinds, { maxLength: 2 }),
  tags: fc.array(fc.tuple(fc.constantFrom('p', 't'), fc.array(tagValues, { minLength: 1, maxLength: 2 })), { maxLength: 2 }),
  since: fc.integer({ min: 0, max: 10 }),
  until: fc.integer({ min: 5, max: 20 }),
}, { requiredKeys: [] });

const event: fc.Arbitrary<NostrEvent> = fc.record({
  id: ids, pubkey: pks, kind: kinds, created_at: fc.integer({ min: 0, max: 20 }),
  tags: fc.array(fc.tuple(fc.constantFrom('p', 't', 'e'), tagValues).map((t) => [...t]), { maxLength: 3 }),
  content: fc.constant(''), sig: fc.constant(''),
});

describe('LiveIndex', () => {
  it('matches the same subscriptions as testing every filter, also after removals', () => {
    fc.assert(fc.property(fc.array(fc.array(filter, { minLength: 1, maxLength: 3 }), { maxLength: 12 }), fc.array(event, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 4 }), (subFilters, events, removals) => {
      const index = new LiveIndex<{ id: string; filters: Filter[] }>();
      const subs = subFilters.map((filters, i) => ({ id: `s${i}`, filters }));
      for (const s of subs) index.add(s);
      const live = new Set(subs);
      for (const r of removals) {
        const s = subs[r % Math.max(1, subs.length)];
        if (s) { index.remove(s); live.delete(s); }
      }
      for (const e of events) {
        const expected = [...live].filter((s) => matchAny(s.filters, e)).map((s) => s.id).sort();
        expect([...index.match(e)].map((s) => s.id).sort()).toEqual(expected);
      }
    }));
  });
});
