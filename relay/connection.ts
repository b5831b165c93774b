// One client connection: its socket, NIP-42 state, open subscriptions, and a send path that
// drops slow consumers instead of letting their queued output grow without bound.
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import { gatedKinds } from './kinds.ts';
import type { LiveSubscription } from './live-index.ts';
import { authChallenge, eventMessage, notice } from './messages.ts';
import { newChallenge } from './nips/nip42.ts';
import type { NegSession } from './nips/nip77.ts';
import type { Accepted, Filter, NostrEvent } from './types.ts';

/**
 * One unmasked text frame, header included, ready for any client socket. Server frames are
 * never masked and we never compress, so the same bytes serve every subscriber of a fan-out:
 * one encoding and one write per socket instead of ws framing each send.
 */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, o: object): Buffer[] } };
function wireFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }));
}

export class Subscription implements LiveSubscription {
  readonly id: string;
  readonly filters: Filter[];
  readonly conn: Connection;
  /** Live events that arrived while stored ones were still being sent (until EOSE). */
  pending: Accepted[] | undefined = [];

  constructor(conn: Connection, id: string, filters: Filter[]) {
    this.conn = conn;
    this.id = id;
    this.filters = filters;
  }

  /** Sends a live event, or holds it until EOSE. `frames` shares one encoded message among
   * the subscriptions with the same id (a fan-out to thousands encodes it once). */
  deliver(acc: Accepted, frames: Map<string, Buffer>): void {
    if (!this.conn.canRead(acc.event)) return;
    if (this.pending) return void this.pending.push(acc);
    let frame = frames.get(this.id);
    if (!frame) frames.set(this.id, (frame = wireFrame(eventMessage(this.id, acc.raw))));
    this.conn.sendFrame(frame);
  }
}

export class Connection {
  readonly ws: WebSocket;
  readonly ip: string;
  /** URLs under which clients may name this relay (AUTH, NIP-62, NIP-98). */
  readonly urls: string[];
  readonly challenge = newChallenge();
  readonly authed = new Set<string>();
  readonly subs = new Map<string, Subscription>();
  negs: Map<string, NegSession> | undefined;
  readonly #maxBuffer: number;
  #onDrop: (c: Connection) => void;
  /** Exempt from rate limits: an exempt address, or authenticated as one of our bots. */
  exempt: boolean;
  alive = true;
  closed = false;
  #challenged = false;

  constructor(ws: WebSocket, ip: string, exempt: boolean, urls: string[], maxBuffer: number, onDrop: (c: Connection) => void) {
    this.ws = ws;
    this.ip = ip;
    this.exempt = exempt;
    this.urls = urls;
    this.#maxBuffer = maxBuffer;
    this.#onDrop = onDrop;
  }

  get openCount(): number {
    return this.subs.size + (this.negs?.size ?? 0);
  }

  send(text: string): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > this.#maxBuffer) return this.drop('error: you read too slowly; closing the connection');
    this.ws.send(text);
  }

  /**
   * Sends a refusal; an `auth-required:` one is preceded by this connection's challenge.
   * The challenge is sent when first needed, not on connect: clients such as NDK without an
   * auth policy would otherwise wait on it before doing anything.
   */
  refuse(message: string, reason: string): void {
    if (reason.startsWith('auth-required:') && !this.#challenged) {
      this.#challenged = true;
      this.send(authChallenge(this.challenge));
    }
    this.send(message);
  }

  /** Writes a complete WebSocket frame (see wireFrame) straight to the socket. */
  sendFrame(frame: Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.#maxBuffer) return this.drop('error: you read too slowly; closing the connection');
    (this.ws as unknown as { _socket: { write(b: Buffer): boolean } })._socket.write(frame);
  }

  /** Says why, then closes; the socket is destroyed if it does not close in time. */
  drop(reason: string): void {
    if (this.closed) return;
    this.ws.send(notice(reason));
    this.closed = true;
    this.#onDrop(this);
    this.ws.close(1008, 'policy');
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }

  /** NIP-42 gated kinds are only for their author or a p-tagged recipient. */
  canRead(e: NostrEvent): boolean {
    if (!gatedKinds.has(e.kind)) return true;
    if (this.authed.has(e.pubkey)) return true;
    return e.tags.some((t) => t[0] === 'p' && t[1] !== undefined && this.authed.has(t[1]));
  }
}
