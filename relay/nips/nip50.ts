// NIP-50 search: PostgreSQL full-text search ('simple' configuration, websearch syntax) on
// the content of searchable kinds (kinds.ts), results by relevance. `key:value`
// extensions are not supported and are dropped from the query.

export const searchTerms = (q: string) => q.split(/\s+/).filter((w) => w && !w.includes(':')).join(' ');

/** Live matching: every search word appears in the content, case-insensitively. */
export function searchMatches(query: string, content: string): boolean {
  const text = content.toLowerCase();
  return searchTerms(query).toLowerCase().split(' ').filter(Boolean).every((w) => text.includes(w));
}
