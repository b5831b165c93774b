// The DM bot under test: our relay, a wallet (workers on the fake node) whose bots role runs
// the DM bot on that relay, and users who talk to it with nostr-tools as a client would.
import { DirectMessageRelaysList, EncryptedDirectMessage, GiftWrap, PrivateDirectMessage } from 'nostr-tools/kinds';
import * as nip04 from 'nostr-tools/nip04';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { Relay } from 'nostr-tools/relay';
import { expect } from 'vitest';
import { loadBotKey } from '../../core/nostr/keys.ts';
import type { RunningRole } from '../../core/role.ts';
import { botsRole } from '../../bots/role.ts';
import { startTestRelay, type TestRelay } from './relay.ts';
import { startTestWallet, type TestWallet } from './wallet.ts';

export type Scheme = 'nip04' | 'nip17';

export interface Received { text: string; scheme: Scheme; replyTo?: string; event: NostrEvent }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const replyTag = (tags: string[][]) => tags.find((t) => t[0] === 'e' && t[3] === 'reply')?.[1] ?? tags.find((t) => t[0] === 'e')?.[1];

/** Someone in a DM client: a key, a connection to the relay (NIP-42 authenticated), their inbox. */
export class DmUser {
  readonly sk = generateSecretKey();
  readonly pk = getPublicKey(this.sk);
  readonly inbox: Received[] = [];
  readonly relay: Relay;
  readonly bot: string;

  private constructor(relay: Relay, bot: string) {
    this.relay = relay;
    this.bot = bot;
  }

  static async connect(url: string, bot: string): Promise<DmUser> {
    const relay = await Relay.connect(url);
    const user = new DmUser(relay, bot);
    relay.onauth = async (template) => finalizeEvent(template, user.sk);
    await user.#listen();
    return user;
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
    if (e.kind === EncryptedDirectMessage) {
      this.inbox.push({ text: nip04.decrypt(this.sk, e.pubkey, e.content), scheme: 'nip04', replyTo: replyTag(e.tags), event: e });
    } else {
      const rumor = nip59.unwrapEvent(e, this.sk);
      if (rumor.kind !== PrivateDirectMessage || rumor.pubkey !== this.bot) return;
      this.inbox.push({ text: rumor.content, scheme: 'nip17', replyTo: replyTag(rumor.tags), event: e });
    }
  }

  /** Announces where we read NIP-17 DMs (kind 10050). */
  async announceDmRelays(relays: string[]): Promise<void> {
    await this.relay.publish(finalizeEvent({ kind: DirectMessageRelaysList, created_at: Math.floor(Date.now() / 1000), tags: relays.map((r) => ['relay', r]), content: '' }, this.sk));
  }

  #lastAt = 0;

  /**
   * A DM to the bot in `scheme`, and the id replies will refer to (event id, or rumor id).
   * Times strictly increase: two equal rumors in one second would be one message (same id).
   */
  dm(text: string, scheme: Scheme, at = Math.max(Math.floor(Date.now() / 1000), this.#lastAt + 1)): { event: NostrEvent; id: string } {
    this.#lastAt = Math.max(this.#lastAt, at);
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

  /** The reply to the message `id`. */
  async replyTo(id: string, timeout = 10_000): Promise<Received> {
    await expect.poll(() => this.inbox.some((m) => m.replyTo === id), { timeout }).toBe(true);
    return this.inbox.find((m) => m.replyTo === id)!;
  }

  /** Sends a command and returns the reply's text (checking it came in the same scheme). */
  async ask(text: string, scheme: Scheme): Promise<string> {
    const reply = await this.replyTo(await this.send(text, scheme));
    expect(reply.scheme).toBe(scheme);
    return reply.text;
  }

  /** Waits for a message (a notice, or a second DM) whose text matches. */
  async waitFor(pattern: RegExp, timeout = 10_000): Promise<Received> {
    await expect.poll(() => this.inbox.some((m) => pattern.test(m.text)), { timeout }).toBe(true);
    return this.inbox.find((m) => pattern.test(m.text))!;
  }

  close(): void {
    this.relay.close();
  }
}

export interface DmService {
  relay: TestRelay;
  /** Every relay the bot uses (`relay` first). */
  relays: TestRelay[];
  wallet: TestWallet;
  bots: RunningRole;
  botPubkey: string;
  user(): Promise<DmUser>;
  close(): Promise<void>;
}

/** Starts `relayCount` relays, the wallet, and the bots role reading from every relay. */
export async function startDmService(env: Record<string, string> = {}, relayCount = 1): Promise<DmService> {
  const relays = await Promise.all(Array.from({ length: relayCount }, () => startTestRelay()));
  const relay = relays[0]!;
  const wallet = await startTestWallet({ NOSTR_RELAYS: relays.map((r) => r.url).join(','), ...env });
  const bots = await botsRole(wallet.ctx);
  const { pubkey } = await loadBotKey(wallet.ctx.secrets, 'dm');
  const users: DmUser[] = [];
  const svc: DmService = {
    relay, relays, wallet, bots, botPubkey: pubkey,
    async user() {
      const u = await DmUser.connect(relay.url, pubkey);
      users.push(u);
      return u;
    },
    async close() {
      for (const u of users) u.close();
      await svc.bots.stop();
      await wallet.close();
      for (const r of relays) await r.close();
    },
  };
  return svc;
}

/** Stops the bots role and starts it again, as a restart of the process would. */
export async function restartBots(svc: DmService): Promise<void> {
  await svc.bots.stop();
  svc.bots = await botsRole(svc.wallet.ctx);
}
