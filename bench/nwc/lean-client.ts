// A bench-only NIP-47 app: one socket, one subscription for its answers (kind 23195 from the
// wallet, p-tagged to the app) held for its lifetime, NIP-44 with a cached conversation key,
// and signing/verification through native libsecp256k1 (core/nostr/secp.ts). The apps the bench simulates run on
// other devices; @getalby/sdk's NWCClient (pure-JS crypto, a REQ per request) spends most of
// the bench's CPU on the service's cores. The end-to-end tests keep using NWCClient.
import { hexToBytes } from '@noble/hashes/utils.js';
import { NWCClient } from '@getalby/sdk/nwc';
import WebSocket from 'ws';
import { decrypt, encrypt, kinds, peer, stringifyJson, type Peer } from '../../bots/nwc/nip47.ts';
import { nowSeconds } from '../../core/nostr/event.ts';
import { getPublicKey } from '../../core/nostr/keys.ts';
import { finalizeEvent, verifyEvent } from '../../core/nostr/secp.ts';
import type { NostrEvent } from 'nostr-tools/pure';

interface Waiting { resolve(result: unknown): void; reject(err: Error): void }

/** A request unanswered this long fails with code TIMEOUT (as NWCClient's do). */
const TIMEOUT_MS = 20_000;

export class LeanNwcApp {
  readonly #ws: WebSocket;
  readonly #secret: Uint8Array;
  readonly #pubkey: string;
  readonly #wallet: string;
  readonly #peer: Peer;
  readonly #waiting = new Map<string, Waiting>();

  private constructor(ws: WebSocket, secret: Uint8Array, wallet: string) {
    this.#ws = ws;
    this.#secret = secret;
    this.#pubkey = getPublicKey(secret);
    this.#wallet = wallet;
    this.#peer = peer(secret, wallet);
    ws.on('message', (data) => this.#onMessage(data.toString()));
  }

  /** Connects to the URI's first relay (or `relay`) and subscribes to the wallet's answers. */
  static async open(uri: string, relay?: string): Promise<LeanNwcApp> {
    const o = NWCClient.parseWalletConnectUrl(uri, true);
    const url = relay ?? o.relayUrls[0];
    if (!url) throw new Error('the connection URI needs a relay');
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const app = new LeanNwcApp(ws, hexToBytes(o.secret!), o.walletPubkey);
    await new Promise<void>((resolve) => {
      app.#waiting.set('answers', { resolve: () => resolve(), reject: () => resolve() });
      ws.send(JSON.stringify(['REQ', 'answers', { kinds: [kinds.response], authors: [app.#wallet], '#p': [app.#pubkey], since: nowSeconds() }]));
    });
    return app;
  }

  /** Sends a request and resolves with its result (rejects with the error code on an error answer). */
  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const event = finalizeEvent({
      kind: kinds.request, created_at: nowSeconds(),
      tags: [['p', this.#wallet], ['encryption', 'nip44_v2']],
      content: encrypt('nip44_v2', this.#peer, stringifyJson({ method, params })),
    }, this.#secret);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(event.id, Object.assign(new Error('no answer'), { code: 'TIMEOUT' })), TIMEOUT_MS);
      const done = () => clearTimeout(timer);
      this.#waiting.set(event.id, { resolve: (r) => { done(); resolve(r); }, reject: (e) => { done(); reject(e); } });
      this.#ws.send(JSON.stringify(['EVENT', event]));
    });
  }

  payInvoice(invoice: string): Promise<unknown> {
    return this.request('pay_invoice', { invoice });
  }

  #onMessage(text: string): void {
    const msg = JSON.parse(text) as unknown[];
    if (msg[0] === 'EOSE') return this.#settle('answers', undefined);
    if (msg[0] === 'OK' && msg[2] === false) return this.#fail(msg[1] as string, new Error(`relay refused the request: ${String(msg[3])}`));
    if (msg[0] !== 'EVENT') return;
    const event = msg[2] as NostrEvent;
    if (event.pubkey !== this.#wallet || !verifyEvent(event)) return;
    const requestId = event.tags.find((t) => t[0] === 'e')?.[1];
    if (!requestId || !this.#waiting.has(requestId)) return;
    const body = JSON.parse(decrypt('nip44_v2', this.#peer, event.content)) as { result?: unknown; error?: { code: string; message: string } | null };
    if (body.error) this.#fail(requestId, Object.assign(new Error(body.error.message), { code: body.error.code }));
    else this.#settle(requestId, body.result);
  }

  #settle(id: string, result: unknown): void {
    this.#waiting.get(id)?.resolve(result);
    this.#waiting.delete(id);
  }

  #fail(id: string, err: Error): void {
    this.#waiting.get(id)?.reject(err);
    this.#waiting.delete(id);
  }

  close(): void {
    this.#ws.terminate();
  }
}
