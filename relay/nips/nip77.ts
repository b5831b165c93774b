// NIP-77 negentropy sync, relay side: NEG-OPEN loads the (timestamp, id) pairs matching the
// filter into a sealed vector and answers each client message with nostr-tools' Negentropy
// (protocol V1, range-based set reconciliation); NEG-CLOSE or NEG-ERR ends the session.
import { nip77 } from 'nostr-tools';

/** Protocol version 1, the only one we speak; sent alone to ask a client to downgrade. */
const VERSION_ONLY = '61';

export class NegSession {
  readonly #neg: InstanceType<typeof nip77.Negentropy>;

  constructor(items: Array<{ created_at: number; id: string }>) {
    const storage = new nip77.NegentropyStorageVector();
    for (const it of items) storage.insert(it.created_at, it.id);
    storage.seal();
    this.#neg = new nip77.Negentropy(storage, 60_000);
  }

  /** The hex reply to a client message; throws on a malformed message. */
  reply(message: string): string {
    if (!message.startsWith(VERSION_ONLY)) {
      const v = parseInt(message.slice(0, 2), 16);
      if (v >= 0x60 && v <= 0x6f) return VERSION_ONLY;
    }
    // An empty answer (just the version) tells the client that reconciliation is complete.
    return this.#neg.reconcile(message) ?? VERSION_ONLY;
  }
}
