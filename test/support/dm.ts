// The DM bot under test: our relay, a wallet (workers on the fake node) whose bots role runs
// the DM bot on that relay, and users who talk to it with nostr-tools as a client would.
import { expect } from 'vitest';
import { loadBotKey } from '../../core/nostr/keys.ts';
import type { RunningRole } from '../../core/role.ts';
import { botsRole } from '../../bots/role.ts';
import { DmClient, type Received, type Scheme } from './dm-client.ts';
import { startTestRelay, type TestRelay } from './relay.ts';
import { startTestWallet, type TestWallet } from './wallet.ts';

export type { Received, Scheme };

/** A DM client with the waits tests need. */
export class DmUser extends DmClient {
  /** The reply to the message `id`. */
  async replyTo(id: string, timeout = 10_000): Promise<Received> {
    return this.reply(id, timeout);
  }

  /** Sends a command and returns the reply's text (checking it came in the same scheme). */
  async ask(text: string, scheme: Scheme): Promise<string> {
    const reply = await this.request(text, scheme);
    expect(reply.scheme).toBe(scheme);
    return reply.text;
  }

  /** Waits for a message (a notice, or a second DM) whose text matches. */
  async waitFor(pattern: RegExp, timeout = 10_000): Promise<Received> {
    await expect.poll(() => this.inbox.some((m) => pattern.test(m.text)), { timeout }).toBe(true);
    return this.inbox.find((m) => pattern.test(m.text))!;
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
      const u = await DmUser.open(relay.url, pubkey);
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
