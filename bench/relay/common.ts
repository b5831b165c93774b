// Shared by the relay benchmarks: options, percentiles, a minimal socket client and fast
// event signing (native libsecp256k1, core/nostr/secp.ts). Every benchmark takes a relay URL and prints JSON.
// All of a benchmark's clients share one address, which no relay limit exempts by default: run
// the relay with RELAY_RATE_EXEMPT_IPS=127.0.0.1 (rates, connection rate and cap off for it).
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Worker } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { finalizeEvent, publicKeyOf } from '../../core/nostr/secp.ts';

export function options<T extends NonNullable<ParseArgsConfig['options']>>(spec: T) {
  return parseArgs({ options: spec, allowPositionals: false, strict: true }).values;
}

export function percentiles(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? NaN), n: s.length };
}

/** Deterministic keys, so the seeding and the query benchmarks agree without sharing state. */
export function benchKey(i: number): { sk: Uint8Array; pk: string } {
  const sk = createHash('sha256').update(`flash-bench-key-${i}`).digest();
  return { sk, pk: publicKeyOf(sk) };
}

export const benchPTag = (i: number) => createHash('sha256').update(`flash-bench-p-${i}`).digest('hex');

export interface SignedEvent { id: string; pubkey: string; created_at: number; kind: number; tags: string[][]; content: string; sig: string }

export function signEvent(sk: Uint8Array, t: { kind: number; created_at: number; tags: string[][]; content: string }): SignedEvent {
  const e = finalizeEvent(t, sk);
  return { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
}

/** A socket with per-message callbacks keyed by subscription or event id. */
export class BenchClient {
  readonly ws: WebSocket;
  readonly #handlers = new Map<string, (msg: unknown[]) => void>();
  onEvent: ((subId: string, event: SignedEvent) => void) | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as unknown[];
      if (msg[0] === 'EVENT' && this.onEvent) return this.onEvent(msg[1] as string, msg[2] as SignedEvent);
      this.#handlers.get(msg[1] as string)?.(msg);
    });
  }

  static open(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new BenchClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Publishes and resolves with [accepted, message] on OK. */
  publish(raw: string, id: string): Promise<[boolean, string]> {
    return new Promise((resolve) => {
      this.#handlers.set(id, (m) => { this.#handlers.delete(id); resolve([m[2] as boolean, m[3] as string]); });
      this.ws.send(`["EVENT",${raw}]`);
    });
  }

  /** REQ until EOSE (or CLOSED); resolves with the number of events. */
  query(subId: string, filter: object): Promise<number> {
    return new Promise((resolve, reject) => {
      let n = 0;
      this.onEvent = () => { n++; };
      this.#handlers.set(subId, (m) => {
        if (m[0] === 'CLOSED') reject(new Error(String(m[2])));
        if (m[0] !== 'EOSE' && m[0] !== 'CLOSED') return;
        this.#handlers.delete(subId);
        this.ws.send(JSON.stringify(['CLOSE', subId]));
        resolve(n);
      });
      this.ws.send(JSON.stringify(['REQ', subId, filter]));
    });
  }

  /** Subscribes and resolves at EOSE; live events then go to onEvent. */
  subscribe(subId: string, filter: object): Promise<void> {
    return new Promise((resolve) => {
      this.#handlers.set(subId, (m) => { if (m[0] === 'EOSE') { this.#handlers.delete(subId); resolve(); } });
      this.ws.send(JSON.stringify(['REQ', subId, filter]));
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Signs dataset events [0, total) on one worker thread per CPU; `onLines` gets JSON lines. */
export async function signDataset(total: number, onLines: (lines: string[]) => void, salt = ''): Promise<void> {
  const threads = availableParallelism();
  const per = Math.ceil(total / threads / 5) * 5;
  await Promise.all(Array.from({ length: threads }, (_, t) => new Promise<void>((resolve, reject) => {
    const w = new Worker(new URL('./sign-worker.ts', import.meta.url), { workerData: { start: t * per, end: Math.min(total, (t + 1) * per), salt } });
    w.on('message', (lines: string[] | null) => (lines === null ? resolve() : onLines(lines)));
    w.on('error', reject);
  })));
}

export const print = (result: object) => console.log(JSON.stringify(result, null, 2));
