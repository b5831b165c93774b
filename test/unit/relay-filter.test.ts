import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchAny, textPrefilter } from '../../relay/filter.ts';
import type { Filter, NostrEvent } from '../../relay/types.ts';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const event = fc.record({
  id: hex, pubkey: hex, created_at: fc.nat(), kind: fc.nat(40_000), sig: fc.constant('0'.repeat(128)), content: fc.string(),
  // Tag values with quotes, backslashes, control and non-ASCII characters: JSON escapes some.
  tags: fc.array(fc.tuple(fc.constantFrom('e', 'p', 't'), fc.string({ unit: 'binary' })).map(([n, v]) => [n, v]), { maxLength: 4 }),
}) satisfies fc.Arbitrary<NostrEvent>;

describe('relay window text prefilter', () => {
  it('never drops an event a filter matches', () => {
    fc.assert(fc.property(event, fc.array(fc.string({ unit: 'binary' }), { maxLength: 3 }), fc.boolean(), (e, others, byId) => {
      const tag = e.tags[0];
      const filter: Filter = {
        ...(byId ? { ids: [...others.filter((o) => o.length === 64), e.id] } : {}),
        ...(tag ? { tags: [[tag[0]!, [...others, tag[1]!]]] } : {}),
      };
      const raw = JSON.stringify(e);
      expect(matchAny([filter], e)).toBe(true);
      expect(textPrefilter([filter])(raw)).toBe(true);
    }));
  });

  it('drops texts without any wanted value, and tests no list longer than it can afford', () => {
    const e: NostrEvent = { id: 'a'.repeat(64), pubkey: 'b'.repeat(64), created_at: 1, kind: 23195, tags: [['e', 'c'.repeat(64)]], content: '', sig: '0'.repeat(128) };
    const raw = JSON.stringify(e);
    expect(textPrefilter([{ tags: [['e', ['d'.repeat(64)]]] }])(raw)).toBe(false);
    expect(textPrefilter([{ ids: ['d'.repeat(64)] }, { tags: [['e', ['c'.repeat(64)]]] }])(raw)).toBe(true);
    expect(textPrefilter([{ tags: [['p', Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(64, '0'))]] }])(raw)).toBe(true);
  });
});
