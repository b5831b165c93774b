// A person's DM client for the DM bot, on nostr-tools: a key, one relay connection (NIP-42
// authenticated), DMs to the bot in NIP-04 or NIP-17, and an inbox of decrypted replies.
// The end-to-end tests use it as it is; bench/dm derives a client with cheaper crypto from it
// (`connect`, `encode`, `decode`). No test framework here.
import { DirectMessageRelaysList, EncryptedDirectMessage, GiftWrap, PrivateDirectMessage } from 'nostr-tools/kinds';
import * as nip04 from 'nostr-tools/nip04';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import type { AbstractRelay } from 'nostr-tools/abstract-relay';
import { Relay } from 'nostr-tools/relay';

export type Scheme = 'nip04' | 'nip17';

export interface Received { text: string; scheme: Scheme; replyTo?: string; event: NostrEvent }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The id a message answers: its `e` tag marked reply, else its first `e` tag. */
export const replyTag = (tags: string[][]): string | undefined => tags.find((t) => t[0] === 'e' && t[3] === 'reply')?.[1] ?? tags.find((t) => t[0] === 'e')?.[1];

/** Open one with `DmClient.open(url, botPubkey)` (or a subclass's `open`). */
export class DmClient {
  readonly sk: Uint8Array;
  readonly pk: string;
  readonly inbox: Received[] = [];
  readonly relay: AbstractRelay;
  readonly bot: string;
  readonly #waiting = new Map<string, (m: Received) => void>();
  #lastAt = 0;

  constructor(relay: AbstractRelay, bot: string, sk: Uint8Array) {
    this.relay = relay;
    this.bot = bot;
    this.sk = sk;
    this.pk = getPublicKey(sk);
  }

  /** The relay connection (a subclass may, e.g., verify events its own way). */
  static connect(url: string): Promise<AbstractRelay> {
    return Relay.connect(url);
  }

  static async open<T extends DmClient>(
    this: { new (relay: AbstractRelay, bot: string, sk: Uint8Array): T; connect(url: string): Promise<AbstractRelay> },
    url: string, bot: string, sk = generateSecretKey(),
  ): Promise<T> {
    const relay = await this.connect(url);
    const client = new this(relay, bot, sk);
    relay.onauth = async (template) => finalizeEvent(template, sk);
    await client.#listen();
    return client;
  }

  /** Subscribes to DMs for us; the relay first says auth-required, nostr-tools authenticates, we ask again. */
  async #listen(): Promise<void> {
    const filters = [{ kinds: [EncryptedDirectMessage], authors: [this.bot], '#p': [this.pk] }, { kinds: [GiftWrap], '#p': [this.pk] }];
    for (let attempt = 0; attempt < 50; attempt++) {
      const outcome = await new Promise<'open' | 'closed'>((resolve) => {
        this.relay.subscribe(filters, { onevent: (e) => this.#receive(e), oneose: () => resolve('open'), onclose: () => resolve('closed') });
      });
      if (outcome === 'open') return;
      await sleep(20);
    }
    throw new Error('could not subscribe to DMs');
  }

  #receive(e: NostrEvent): void {
    const m = this.decode(e);
    if (!m) return;
    this.inbox.push(m);
    if (m.replyTo) this.#waiting.get(m.replyTo)?.(m);
  }

  /** A DM from the bot, decrypted; undefined for what is not one. */
  protected decode(e: NostrEvent): Received | undefined {
    if (e.kind === EncryptedDirectMessage) {
      return { text: nip04.decrypt(this.sk, e.pubkey, e.content), scheme: 'nip04', replyTo: replyTag(e.tags), event: e };
    }
    const rumor = nip59.unwrapEvent(e, this.sk);
    if (rumor.kind !== PrivateDirectMessage || rumor.pubkey !== this.bot) return undefined;
    return { text: rumor.content, scheme: 'nip17', replyTo: replyTag(rumor.tags), event: e };
  }

  /** Announces where we read NIP-17 DMs (kind 10050). */
  async announceDmRelays(relays: string[]): Promise<void> {
    await this.relay.publish(finalizeEvent({ kind: DirectMessageRelaysList, created_at: Math.floor(Date.now() / 1000), tags: relays.map((r) => ['relay', r]), content: '' }, this.sk));
  }

  /**
   * A DM to the bot in `scheme`, and the id replies will refer to (event id, or rumor id).
   * Times strictly increase: two equal rumors in one second would be one message (same id).
   */
  dm(text: string, scheme: Scheme, at = Math.max(Math.floor(Date.now() / 1000), this.#lastAt + 1)): { event: NostrEvent; id: string } {
    this.#lastAt = Math.max(this.#lastAt, at);
    return this.encode(text, scheme, at);
  }

  /** The encrypted event for `text`, created at `at`, and the id replies will refer to. */
  protected encode(text: string, scheme: Scheme, at: number): { event: NostrEvent; id: string } {
    if (scheme === 'nip04') {
      const event = finalizeEvent({ kind: EncryptedDirectMessage, created_at: at, tags: [['p', this.bot]], content: nip04.encrypt(this.sk, this.bot, text) }, this.sk);
      return { event, id: event.id };
    }
    const rumor = nip59.createRumor({ kind: PrivateDirectMessage, created_at: at, tags: [['p', this.bot]], content: text }, this.sk);
    return { event: nip59.createWrap(nip59.createSeal(rumor, this.sk, this.bot), this.bot), id: rumor.id };
  }

  async send(text: string, scheme: Scheme): Promise<string> {
    const { event, id } = this.dm(text, scheme);
    await this.relay.publish(event);
    return id;
  }

  /** Resolves with the reply to the message `id` (rejects after `timeoutMs`). */
  reply(id: string, timeoutMs = 10_000): Promise<Received> {
    const had = this.inbox.find((m) => m.replyTo === id);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiting.delete(id); reject(new Error(`no reply to ${id} within ${timeoutMs} ms`)); }, timeoutMs);
      this.#waiting.set(id, (m) => { clearTimeout(timer); this.#waiting.delete(id); resolve(m); });
    });
  }

  /** Sends `text` and resolves with the reply; the DM is published and answered before it resolves. */
  async request(text: string, scheme: Scheme, timeoutMs?: number): Promise<Received> {
    const { event, id } = this.dm(text, scheme);
    const reply = this.reply(id, timeoutMs);
    await this.relay.publish(event);
    return reply;
  }

  close(): void {
    this.relay.close();
  }
}
