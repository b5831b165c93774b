// What people paste to say what to zap (NIP-19): npub/nprofile (a profile), note/nevent (an
// event), naddr (an addressable event), or a hex event id.
import { nip19 } from 'nostr-tools';
import { ZapError } from './errors.ts';
import { HEX32 } from '../hex.ts';

export interface ZapPointer { recipient?: string; eventId?: string; coordinate?: string; kind?: number; relays: string[] }

export function pointerOf(input: string): ZapPointer {
  const code = input.trim().replace(/^nostr:/i, '').toLowerCase();
  if (HEX32.test(code)) return { eventId: code, relays: [] };
  let d: nip19.DecodedResult;
  try {
    d = nip19.decode(code);
  } catch {
    throw new ZapError('invalid_target', 'not an npub, nprofile, note, nevent or naddr');
  }
  switch (d.type) {
    case 'npub': return { recipient: d.data, relays: [] };
    case 'nprofile': return { recipient: d.data.pubkey, relays: d.data.relays ?? [] };
    case 'note': return { eventId: d.data, relays: [] };
    case 'nevent': return { eventId: d.data.id, recipient: d.data.author, kind: d.data.kind, relays: d.data.relays ?? [] };
    case 'naddr': return { recipient: d.data.pubkey, coordinate: `${d.data.kind}:${d.data.pubkey}:${d.data.identifier}`, kind: d.data.kind, relays: d.data.relays ?? [] };
    default: throw new ZapError('invalid_target', `cannot zap a ${d.type}`);
  }
}
