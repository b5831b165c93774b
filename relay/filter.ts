// In-memory filter matching (live subscriptions, the ephemeral window) per NIP-01.
import { searchMatches } from './nips/nip50.ts';
import type { Filter, NostrEvent } from './types.ts';

/** True when a filter can match no event at all (an empty list in any field, since > until). */
export function matchesNothing(f: Filter): boolean {
  return f.ids?.length === 0 || f.authors?.length === 0 || f.kinds?.length === 0
    || (f.tags?.some(([, v]) => v.length === 0) ?? false)
    || (f.since !== undefined && f.until !== undefined && f.since > f.until);
}


export function matchFilter(f: Filter, e: NostrEvent): boolean {
  if (f.ids && !f.ids.includes(e.id)) return false;
  if (f.authors && !f.authors.includes(e.pubkey)) return false;
  if (f.kinds && !f.kinds.includes(e.kind)) return false;
  if (f.since !== undefined && e.created_at < f.since) return false;
  if (f.until !== undefined && e.created_at > f.until) return false;
  if (f.tags) {
    for (const [name, values] of f.tags) {
      if (!e.tags.some((t) => t[0] === name && t[1] !== undefined && values.includes(t[1]))) return false;
    }
  }
  if (f.search !== undefined && !searchMatches(f.search, e.content)) return false;
  return true;
}

export const matchAny = (filters: Filter[], e: NostrEvent) => filters.some((f) => matchFilter(f, e));

/** Longer value lists are not tested on the text (each value is a substring search). */
const TEXT_TEST_MAX_VALUES = 8;

/**
 * A cheap test on an event's JSON text, true for every event the filters match (and some
 * others): each `ids` or tag value list a filter requires must have a value in the text, as
 * JSON.stringify writes it. The ephemeral window uses it to parse only events that may match.
 */
export function textPrefilter(filters: Filter[]): (raw: string) => boolean {
  const required = filters.map((f) => [...(f.ids ? [f.ids] : []), ...(f.tags ?? []).map(([, values]) => values)]
    .filter((values) => values.length <= TEXT_TEST_MAX_VALUES)
    .map((values) => values.map((v) => JSON.stringify(v).slice(1, -1))));
  return (raw) => required.some((lists) => lists.every((needles) => needles.some((n) => raw.includes(n))));
}

/** NIP-01 order: newest first, ties broken by lowest id. */
export function compareNewestFirst(a: { created_at: number; id: string }, b: { created_at: number; id: string }): number {
  return b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
