// The relay's own view of Nostr messages: events, filters, and what the limits allow.

export interface NostrEvent {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}

/** A NIP-01 filter after validation: single-letter tag filters are kept in `tags`. */
export interface Filter {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  since?: number;
  until?: number;
  limit?: number;
  search?: string;
  /** `#x` → values, in the order the client sent them (NIP-45 needs the first one). */
  tags?: Array<[name: string, values: string[]]>;
}

/** An event accepted for processing: the parsed event and its canonical JSON text. */
export interface Accepted {
  event: NostrEvent;
  raw: string;
}
