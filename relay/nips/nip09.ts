// NIP-09 deletion requests: what a kind 5 event asks to delete. Only the author's own
// events are targets: `e` ids are matched against the author in the store, and `a`
// coordinates naming another pubkey are dropped here.
import { replaceKey } from '../kinds.ts';
import type { NostrEvent } from '../types.ts';
import { HEX32 } from '../../core/hex.ts';

export function deletionTargets(e: NostrEvent): { ids: string[]; addresses: Array<{ kind: number; d: string }> } {
  const ids: string[] = [];
  const addresses: Array<{ kind: number; d: string }> = [];
  for (const t of e.tags) {
    if (t[0] === 'e' && t[1] && HEX32.test(t[1])) ids.push(t[1]);
    if (t[0] === 'a' && t[1]) {
      const m = /^(\d{1,5}):([0-9a-f]{64}):(.*)$/s.exec(t[1]);
      const kind = Number(m?.[1]);
      if (m && m[2] === e.pubkey && kind <= 65535 && replaceKey(kind, []) !== null) addresses.push({ kind, d: m[3]! });
    }
  }
  return { ids, addresses };
}
