// The relay's network face: one Node HTTP server for WebSocket upgrades (ws, no
// compression), the NIP-11 document and the NIP-86 API, plus the connection lifecycle:
// challenge on connect, message dispatch, keep-alive pings, cleanup on close.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import proxyaddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Context } from '../core/context.ts';
import { Connection } from './connection.ts';
import { RelayEngine } from './engine.ts';
import { handleAuth } from './handlers/auth.ts';
import { handleClose } from './handlers/close.ts';
import { handleCount } from './handlers/count.ts';
import { handleEvent } from './handlers/event.ts';
import { handleNegClose, handleNegMsg, handleNegOpen } from './handlers/neg.ts';
import { handleReq } from './handlers/req.ts';
import { notice, parseClientMessage, type ParseLimits } from './messages.ts';
import { relayInformation } from './nips/nip11.ts';
import { handleManagement, RPC_CONTENT_TYPE } from './nips/nip86.ts';
import { publicUrls } from './urls.ts';
import { SharedConnectionCounts } from './connection-counts.ts';

const PING_EVERY_MS = 30_000;
const MAX_RPC_BODY = 64 * 1024;
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS' };

export interface RunningRelay {
  engine: RelayEngine;
  /** ws://host:port actually listened on. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRelay(ctx: Context): Promise<RunningRelay> {
  const engine = new RelayEngine(ctx);
  await engine.start();
  const c = ctx.config;
  const limits: ParseLimits = { maxFilters: c.RELAY_MAX_FILTERS, maxFilterValues: c.RELAY_MAX_FILTER_VALUES, maxSubIdLength: c.RELAY_MAX_SUBID_LENGTH };
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: Math.max(4 * c.RELAY_MAX_MESSAGE_BYTES, 1024 * 1024) });

  // The client is the rightmost address that no trusted proxy added: the entries left of it in
  // X-Forwarded-For are whatever the client chose to send.
  const trusted = c.RELAY_TRUST_PROXY;
  const trust = trusted === false ? () => false : trusted === true ? (_: string, hop: number) => hop === 0 : proxyaddr.compile(trusted);
  const clientIp = (req: http.IncomingMessage) => {
    const ip = proxyaddr(req, trust);
    return ipaddr.isValid(ip) ? ipaddr.process(ip).toString() : ip || 'unknown';
  };
  const perIp = new SharedConnectionCounts({ redis: engine.redis, prefix: c.REDIS_PREFIX, max: c.RELAY_MAX_CONNECTIONS_PER_IP, log: engine.log });
  perIp.start();
  /** The names this relay answers to (relay/urls.ts), known once the port is bound. */
  let urls: string[] = [];

  const server = http.createServer((req, res) => {
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    if (req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith(RPC_CONTENT_TYPE)) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_RPC_BODY) { res.writeHead(413, cors).end(); req.destroy(); } else chunks.push(d);
      });
      req.on('end', () => {
        if (size > MAX_RPC_BODY) return;
        handleManagement(engine, req.headers.authorization, Buffer.concat(chunks), urls).then(
          (reply) => res.writeHead(reply.status, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(reply.body)),
          () => res.writeHead(500, cors).end(),
        );
      });
      return;
    }
    if (req.method === 'GET' && String(req.headers.accept ?? '').includes('application/nostr+json')) {
      return res.writeHead(200, { ...cors, 'content-type': 'application/nostr+json' }).end(JSON.stringify(relayInformation(c, engine.policy)));
    }
    res.writeHead(200, { ...cors, 'content-type': 'text/plain' }).end('This is a Nostr relay: connect with a Nostr client over WebSocket.\n');
  });

  server.on('upgrade', (req, socket, head) => {
    const ip = clientIp(req);
    const p = engine.policy;
    const refuse = (status: string) => void socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    if (p.isIpBlocked(ip)) return refuse('403 Forbidden');
    const exempt = p.isExemptIp(ip);
    if (!p.allowsConnection(ip)) return refuse('429 Too Many Requests');
    if (exempt || !perIp.limited) return wss.handleUpgrade(req, socket, head, (ws) => accept(ws, ip, exempt, false));
    perIp.open(ip).then((ok) => {
      if (!ok) return refuse('429 Too Many Requests');
      if (socket.destroyed) return perIp.close(ip);
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, ip, exempt, true));
    }, () => refuse('503 Service Unavailable'));
  });

  /** `counted`: the connection holds one of its address's slots (SharedConnectionCounts). */
  function accept(ws: WebSocket, ip: string, exempt: boolean, counted: boolean): void {
    const conn = new Connection(ws, ip, exempt, urls, c.RELAY_SEND_BUFFER, (x) => engine.forget(x));
    engine.connections.add(conn);
    ws.on('pong', () => { conn.alive = true; });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      conn.closed = true;
      engine.forget(conn);
      if (counted) perIp.close(ip);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (conn.closed) return;
      if (isBinary) return conn.send(notice('invalid: binary messages are not supported'));
      if (data.length > c.RELAY_MAX_MESSAGE_BYTES) return conn.send(notice(`invalid: message larger than ${c.RELAY_MAX_MESSAGE_BYTES} bytes`));
      dispatch(conn, data.toString('utf8'));
    });
  }

  function dispatch(conn: Connection, text: string): void {
    const m = parseClientMessage(text, limits);
    const failed = (err: unknown) => engine.log.error({ err }, 'relay: handler failed');
    switch (m.type) {
      case 'bad': return conn.send(m.reply);
      case 'EVENT': return void handleEvent(engine, conn, m.event).catch(failed);
      case 'REQ': return void handleReq(engine, conn, m.subId, m.filters).catch(failed);
      case 'COUNT': return void handleCount(engine, conn, m.subId, m.filters).catch(failed);
      case 'CLOSE': return handleClose(engine, conn, m.subId);
      case 'AUTH': return handleAuth(engine, conn, m.event);
      case 'NEG-OPEN': return void handleNegOpen(engine, conn, m.subId, m.filter, m.message).catch(failed);
      case 'NEG-MSG': return handleNegMsg(engine, conn, m.subId, m.message);
      case 'NEG-CLOSE': return handleNegClose(engine, conn, m.subId);
    }
  }

  const pinger = setInterval(() => {
    for (const conn of engine.connections) {
      if (!conn.alive) { conn.ws.terminate(); continue; }
      conn.alive = false;
      conn.ws.ping();
    }
  }, PING_EVERY_MS);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(c.RELAY_PORT, c.RELAY_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  urls = publicUrls(c, port);
  const host = c.RELAY_HOST.includes(':') ? `[${c.RELAY_HOST}]` : c.RELAY_HOST;

  return {
    engine,
    port,
    url: `ws://${host}:${port}`,
    async stop() {
      clearInterval(pinger);
      await perIp.stop();
      server.close();
      for (const conn of engine.connections) conn.ws.close(1001, 'relay shutting down');
      await engine.stop();
      for (const conn of engine.connections) conn.ws.terminate();
      server.closeAllConnections();
    },
  };
}
