// A relay on its own database and Redis prefix, in this process, for relay tests; plus a
// bare WebSocket client for the wire-level cases that third-party clients cannot produce.
import { WebSocket } from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey, type EventTemplate, type VerifiedEvent } from 'nostr-tools/pure';
import { startRelay, type RunningRelay } from '../../relay/server.ts';
import { createTestContext, type TestContext } from './context.ts';

export interface TestRelay extends RunningRelay { ctx: TestContext; close(): Promise<void> }

/** Rate limits and connection caps are off unless a test sets them. */
export async function startTestRelay(env: Record<string, string> = {}): Promise<TestRelay> {
  const ctx = await createTestContext({
    RELAY_RATE_IP_EVENTS: '0', RELAY_RATE_PUBKEY_EVENTS: '0', RELAY_RATE_IP_REQS: '0', RELAY_RATE_IP_AUTH: '0', RELAY_RATE_IP_CONNECTIONS: '0',
    RELAY_MAX_CONNECTIONS_PER_IP: '0', RELAY_BATCH_MS: '1', ...env,
  });
  const relay = await startRelay(ctx);
  return { ...relay, ctx, close: async () => { await relay.stop(); await ctx.close(); } };
}

export interface Key { sk: Uint8Array; pk: string }
export function newKey(): Key {
  const sk = generateSecretKey();
  return { sk, pk: getPublicKey(sk) };
}

export function sign(key: Key, t: Partial<EventTemplate> & { kind: number }): VerifiedEvent {
  return finalizeEvent({ created_at: Math.floor(Date.now() / 1000), tags: [], content: '', ...t }, key.sk);
}

/** A raw socket that records every message, with waits on what the relay sends. */
export class WireClient {
  readonly ws: WebSocket;
  readonly received: unknown[][] = [];
  #waiters: Array<() => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d) => {
      this.received.push(JSON.parse(d.toString()) as unknown[]);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(url: string): Promise<WireClient> {
    const c = new WireClient(url);
    await new Promise((resolve, reject) => { c.ws.once('open', resolve); c.ws.once('error', reject); });
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Waits for (and returns) the first message after index `from` that satisfies `test`. */
  async next(test: (m: unknown[]) => boolean, from = 0, timeoutMs = 5000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find(test);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(this.received.slice(from)).slice(0, 2000)}`);
      await new Promise<void>((resolve) => { this.#waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }

  /** Sends and waits for the OK of `event`. */
  async publish(event: { id: string }): Promise<[boolean, string]> {
    const from = this.received.length;
    this.send(['EVENT', event]);
    const m = await this.next((x) => x[0] === 'OK' && x[1] === event.id, from);
    return [m[2] as boolean, m[3] as string];
  }

  /** REQ → the events up to EOSE (or the CLOSED reason). */
  async query(subId: string, ...filters: object[]): Promise<{ events: VerifiedEvent[]; closed?: string }> {
    const from = this.received.length;
    this.send(['REQ', subId, ...filters]);
    const end = await this.next((x) => (x[0] === 'EOSE' || x[0] === 'CLOSED') && x[1] === subId, from);
    // Only what came before EOSE: live events may follow it before this wakes up.
    const events = this.received.slice(from, this.received.indexOf(end)).filter((x) => x[0] === 'EVENT' && x[1] === subId).map((x) => x[2] as VerifiedEvent);
    return end[0] === 'CLOSED' ? { events, closed: end[2] as string } : { events };
  }

  get challenge(): string {
    return this.received.find((m) => m[0] === 'AUTH')![1] as string;
  }

  close(): void {
    this.ws.close();
  }
}
