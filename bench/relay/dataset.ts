// The benchmark dataset, a pure function of the event index: 100 authors, notes (kind 1)
// with a hashtag out of 1,000 and a mention out of 10,000, and reactions (kind 7) to the
// note before them; one event every 30 s from BASE. Queries derive their filters from the
// same constants.
import { benchKey, benchPTag, signEvent, type SignedEvent } from './common.ts';

export const BASE = 1_700_000_000;
export const STEP = 30;
export const AUTHORS = 100;
export const HASHTAGS = 1000;
export const MENTIONS = 10_000;

const keys = Array.from({ length: AUTHORS }, (_, i) => benchKey(i));
const words = ['lightning', 'bitcoin', 'nostr', 'zap', 'relay', 'wallet', 'invoice', 'sats', 'channel', 'mint'];

/** Events [start, end), start a multiple of 5 so each reaction's note is in the same range.
 * A `salt` makes different events from the same indices (for repeated ingest runs). */
export function generate(start: number, end: number, salt = ''): SignedEvent[] {
  const out: SignedEvent[] = [];
  let lastNote: SignedEvent | undefined;
  for (let i = start; i < end; i++) {
    const key = keys[i % AUTHORS]!;
    const created_at = BASE + i * STEP;
    if (i % 5 === 4 && lastNote) {
      out.push(signEvent(key.sk, { kind: 7, created_at, tags: [['e', lastNote.id], ['p', lastNote.pubkey]], content: '+' }));
      continue;
    }
    const text = `note ${i}${salt} ${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 13) % 10]}`;
    lastNote = signEvent(key.sk, { kind: 1, created_at, tags: [['t', `tag${i % HASHTAGS}`], ['p', benchPTag((i * 7919) % MENTIONS)]], content: text });
    out.push(lastNote);
  }
  return out;
}

export const authorPubkey = (i: number) => keys[i % AUTHORS]!.pk;
