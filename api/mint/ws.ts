// NUT-17 WebSocket subscriptions at <mint URL>/v1/ws (JSON-RPC 2.0): mint quotes, melt quotes
// and proof states. The mint learns of changes by looking: one pass over every subscribed
// object of this process every WS_POLL_MS, and a notification for each whose state differs
// from the last one sent (the current state first, as NUT-17 asks). Changes come from other
// processes (the workers' invoice watcher, melts finished by reconciliation), so a look is the
// one path that sees them all.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Context } from '../../core/context.ts';
import { getMintQuote } from '../../core/mint/nut04.ts';
import { getMeltQuote } from '../../core/mint/nut05.ts';
import { checkState } from '../../core/mint/nut07.ts';

const WS_POLL_MS = 500;
const MAX_SUBSCRIPTIONS = 20;
const MAX_FILTERS = 100;

const request = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number(), z.string()]),
  method: z.enum(['subscribe', 'unsubscribe']),
  params: z.object({
    kind: z.enum(['bolt11_mint_quote', 'bolt11_melt_quote', 'proof_state']).optional(),
    subId: z.string().min(1).max(100),
    filters: z.array(z.string().max(100)).max(MAX_FILTERS).optional(),
  }),
});

type Kind = 'bolt11_mint_quote' | 'bolt11_melt_quote' | 'proof_state';
interface Subscription { kind: Kind; filters: string[]; sent: Map<string, string> }

async function current(ctx: Context, kind: Kind, filter: string): Promise<unknown> {
  if (kind === 'bolt11_mint_quote') return getMintQuote(ctx, filter);
  if (kind === 'bolt11_melt_quote') return getMeltQuote(ctx, filter);
  if (!/^0[23][0-9a-f]{64}$/.test(filter)) return undefined;
  return (await checkState(ctx, { Ys: [filter] })).states[0];
}

export function mintWebSocket(app: FastifyInstance, ctx: Context, path: string): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Map<WebSocket, Map<string, Subscription>>();

  const send = (ws: WebSocket, msg: unknown) => ws.send(JSON.stringify(msg));
  const notify = async (ws: WebSocket, subId: string, sub: Subscription) => {
    for (const filter of sub.filters) {
      const payload = await current(ctx, sub.kind, filter);
      if (payload === undefined) continue;
      const text = JSON.stringify(payload);
      if (sub.sent.get(filter) === text) continue;
      sub.sent.set(filter, text);
      send(ws, { jsonrpc: '2.0', method: 'subscribe', params: { subId, payload } });
    }
  };

  wss.on('connection', (ws) => {
    const subs = new Map<string, Subscription>();
    clients.set(ws, subs);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data) => {
      let msg: z.infer<typeof request>;
      try {
        const parsed = request.safeParse(JSON.parse(String(data)));
        if (!parsed.success) return send(ws, { jsonrpc: '2.0', error: { code: -32600, message: 'invalid request' }, id: null });
        msg = parsed.data;
      } catch {
        return send(ws, { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' }, id: null });
      }
      const { subId, kind, filters } = msg.params;
      if (msg.method === 'unsubscribe') {
        subs.delete(subId);
        return send(ws, { jsonrpc: '2.0', result: { status: 'OK', subId }, id: msg.id });
      }
      if (!kind || !filters?.length) return send(ws, { jsonrpc: '2.0', error: { code: -32602, message: 'kind and filters are required' }, id: msg.id });
      if (subs.size >= MAX_SUBSCRIPTIONS) return send(ws, { jsonrpc: '2.0', error: { code: -32000, message: `at most ${MAX_SUBSCRIPTIONS} subscriptions` }, id: msg.id });
      const sub: Subscription = { kind, filters, sent: new Map() };
      subs.set(subId, sub);
      send(ws, { jsonrpc: '2.0', result: { status: 'OK', subId }, id: msg.id });
      notify(ws, subId, sub).catch((err: unknown) => ctx.log.warn({ err }, 'mint websocket notification failed'));
    });
  });

  let polling = false;
  const timer = setInterval(() => {
    if (polling || clients.size === 0) return;
    polling = true;
    const passes = [...clients].flatMap(([ws, subs]) => [...subs].map(([subId, sub]) => notify(ws, subId, sub)));
    void Promise.allSettled(passes).then(() => { polling = false; });
  }, WS_POLL_MS);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  app.server.on('upgrade', onUpgrade);
  // Before the server closes: it would wait for the upgraded connections.
  app.addHook('preClose', async () => {
    clearInterval(timer);
    app.server.off('upgrade', onUpgrade);
    for (const ws of clients.keys()) ws.terminate();
    wss.close();
  });
}
