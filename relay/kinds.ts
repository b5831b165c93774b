// NIP-01 kind classes: each class has its own storage strategy (see handlers/event.ts).

export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable';

export function kindClass(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10_000 && kind < 20_000)) return 'replaceable';
  if (kind >= 20_000 && kind < 30_000) return 'ephemeral';
  if (kind >= 30_000 && kind < 40_000) return 'addressable';
  return 'regular';
}

export const isEphemeral = (kind: number) => kind >= 20_000 && kind < 30_000;

/** Kinds only served to their author or a p-tagged recipient once authenticated (NIP-42). */
export const gatedKinds: ReadonlySet<number> = new Set([4, 14, 1059]);

/** Kinds whose content is indexed for NIP-50 search (must match the index in 0002_relay.sql). */
export const searchableKinds: ReadonlySet<number> = new Set([0, 1, 30023, 30024]);

/** The replace key's `d`: '' for replaceable kinds, the first d tag for addressable ones. */
export function replaceKey(kind: number, tags: string[][]): string | null {
  const cls = kindClass(kind);
  if (cls === 'replaceable') return '';
  if (cls !== 'addressable') return null;
  for (const t of tags) if (t[0] === 'd') return t[1] ?? '';
  return '';
}
