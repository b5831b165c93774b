// Bitcoin Core's JSON-RPC over HTTP for a RegtestNode: basic auth (user/password or the cookie
// `__cookie__:<random>`), `/` and `/wallet/<name>` routing, single and batch requests, and
// Core's HTTP statuses: 401 with no body on bad credentials, 404 for an unknown method, 500
// for any other error, each error as `{ result: null, error: { code, message }, id }`.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { RpcError } from './chain.ts';
import { AMOUNT_MARK, type RegtestNode } from './node.ts';

export interface RpcServerOptions {
  host?: string;
  port?: number;
  user: string;
  password: string;
  /** Called before each call (fault injection): may throw an RpcError, or wait. */
  before?(method: string, params: unknown, wallet: string | undefined): void | Promise<void>;
  /** Called after each state change (persistence); the answer waits for it, so what a caller was told is kept. */
  afterChange?(): void | Promise<void>;
}

export interface RpcServer { url: string; port: number; calls: Array<{ method: string; path: string; params: unknown }>; close(): Promise<void> }

/** JSON with amounts as Core writes them: numbers with 8 decimals (0.00000010, never 1e-7). */
const amountString = new RegExp(`"${AMOUNT_MARK}(-?\\d+\\.\\d{8})"`, 'g');
const toJson = (value: unknown) => JSON.stringify(value).replace(amountString, '$1');

const readOnly = new Set(['getblockchaininfo', 'getnetworkinfo', 'getblockcount', 'getbestblockhash', 'getblockhash', 'getblock', 'getrawtransaction',
  'getrawmempool', 'getmempoolentry', 'estimatesmartfee', 'listwallets', 'listwalletdir', 'getwalletinfo', 'listdescriptors', 'getaddressinfo',
  'listsinceblock', 'gettransaction', 'getbalances', 'getbalance', 'listunspent', 'listlockunspent', 'decodepsbt', 'validateaddress',
  'getdescriptorinfo', 'deriveaddresses', 'testmempoolaccept', 'finalizepsbt', 'combinepsbt']);

function authorized(req: IncomingMessage, user: string, password: string): boolean {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(Buffer.from(m[1]!, 'base64').toString('utf8'));
  const expected = Buffer.from(`${user}:${password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startRpcServer(node: RegtestNode, opts: RpcServerOptions): Promise<RpcServer> {
  const calls: RpcServer['calls'] = [];
  const one = async (body: Record<string, unknown>, wallet: string | undefined, path: string) => {
    const id = body?.id ?? null;
    const method = typeof body?.method === 'string' ? body.method : '';
    calls.push({ method, path, params: body?.params });
    try {
      await opts.before?.(method, body?.params, wallet);
      const result = node.call(method, body?.params ?? [], wallet);
      if (!readOnly.has(method)) await opts.afterChange?.();
      return { status: 200, reply: { result: result === undefined ? null : result, error: null, id } };
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(-1, (err as Error).message);
      return { status: e.code === -32601 ? 404 : 500, reply: { result: null, error: { code: e.code, message: e.message }, id } };
    }
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      if (!authorized(req, opts.user, opts.password)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"', 'Content-Type': 'text/html; charset=ISO-8859-1' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const walletMatch = /^\/wallet\/(.*)$/.exec(url.pathname);
      if (req.method !== 'POST' || (!walletMatch && url.pathname !== '/')) { res.writeHead(404).end(); return; }
      const wallet = walletMatch ? decodeURIComponent(walletMatch[1]!) : undefined;
      let body: unknown;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ result: null, error: { code: -32700, message: 'Parse error' }, id: null }));
        return;
      }
      if (Array.isArray(body)) {
        const replies = [];
        for (const b of body) replies.push((await one(b as Record<string, unknown>, wallet, url.pathname)).reply);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(toJson(replies));
        return;
      }
      const { status, reply } = await one(body as Record<string, unknown>, wallet, url.pathname);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(toJson(reply));
    })().catch((err: unknown) => { res.writeHead(500).end(String(err)); }));
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve); });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`, port, calls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
