// A BTCPay Server stand-in for the Greenfield endpoints Flash uses: API keys and their
// permissions, webhooks (signed deliveries, BTCPay's redelivery schedule on a clock tests
// fast-forward), invoices, pull payments with their LNURL-withdraw claim, payouts. Every
// request and response is checked against BTCPay's OpenAPI document (openapi.ts): a request
// that does not match is answered 422 as BTCPay does and recorded in `problems`, a response of
// ours that does not match is a defect of the stand-in (500, recorded too).
import { createHmac, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { encodeLnurl } from '../../../core/lnurl.ts';
import { requestProblems, requiredPermissions, responseProblems, webhookProblems, type Problem } from './openapi.ts';

type Json = Record<string, unknown>;
const id = (n = 22) => randomBytes(n).toString('base64url').slice(0, n);

/** BTCPay's automatic redelivery after a failed delivery: 10 s, 1 min, then 6 times every 10 min. */
export const REDELIVERY_DELAYS_MS = [10_000, 60_000, ...Array<number>(6).fill(600_000)];

export interface Webhook { id: string; storeId: string; url: string; secret: string; enabled: boolean; automaticRedelivery: boolean; authorizedEvents: { everything: boolean; specificEvents: string[] } }
export interface Delivery { id: string; originalId: string; webhookId: string; type: string; body: string; status?: number; error?: string; attempt: number }
export interface Invoice { id: string; storeId: string; amount: string; currency: string; status: string; metadata: Json; createdTime: number }
export interface PullPayment { id: string; storeId: string; name: string; description: string; amount: string; currency: string; autoApproveClaims: boolean; k1: string; claimed: boolean }
export interface Payout { id: string; storeId: string; pullPaymentId?: string; destination: string; amount: string; state: string; revision: number; date: number; metadata: Json; paymentProof?: Json }

class HttpProblem extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
const problem = (status: number, code: string, message: string) => new HttpProblem(status, { code, message });

export class BtcpaySim {
  readonly app: FastifyInstance;
  url = '';
  readonly apiKeys = new Map<string, { label: string; permissions: string[] }>();
  readonly stores = new Map<string, { id: string; name: string }>();
  readonly webhooks = new Map<string, Webhook>();
  readonly invoices = new Map<string, Invoice>();
  readonly pullPayments = new Map<string, PullPayment>();
  readonly payouts = new Map<string, Payout>();
  readonly deliveries: Delivery[] = [];
  /** Requests of clients that did not match the document, and our own responses that did not. */
  readonly problems: Array<{ where: string; problems: Problem[] }> = [];
  /** Every Greenfield call, as `METHOD /path/template`. */
  readonly calls: string[] = [];
  /** Operations (`METHOD /path/template`) whose next call drops the connection, as a crash or outage would. */
  readonly faults = new Set<string>();
  /** Redeliveries waiting on the clock. */
  #scheduled: Array<{ dueAt: number; delivery: Delivery }> = [];
  #clockMs = 0;
  #inFlight = new Set<Promise<unknown>>();

  constructor() {
    this.app = Fastify({ logger: false });
    this.#routes();
  }

  static async start(): Promise<BtcpaySim> {
    const sim = new BtcpaySim();
    await sim.app.listen({ host: '127.0.0.1', port: 0 });
    const a = sim.app.server.address() as { port: number };
    sim.url = `http://127.0.0.1:${a.port}`;
    return sim;
  }

  async close(): Promise<void> {
    await this.idle();
    await this.app.close();
  }

  // ——— what a store owner does in BTCPay's UI, and what its customers do ———

  createStore(name = 'Shop'): string {
    const storeId = id(44);
    this.stores.set(storeId, { id: storeId, name });
    return storeId;
  }

  createApiKey(permissions: string[], label = 'flash'): string {
    const key = randomBytes(20).toString('hex');
    this.apiKeys.set(key, { label, permissions });
    return key;
  }

  /** The customer paid: the invoice settles and InvoiceSettled goes to the store's webhooks. */
  async settleInvoice(invoiceId: string): Promise<void> {
    const inv = this.invoices.get(invoiceId)!;
    inv.status = 'Settled';
    await this.#emit(inv.storeId, 'InvoiceSettled', { storeId: inv.storeId, invoiceId, metadata: inv.metadata, manuallyMarked: false, overPaid: false });
  }

  /** The "Redeliver" button (and POST …/deliveries/{id}/redeliver): the same event again, a new delivery id. */
  async redeliver(deliveryId: string): Promise<Delivery> {
    const d = this.deliveries.find((x) => x.id === deliveryId)!;
    return this.#deliver(this.#redelivery(d));
  }

  /** Moves the clock on and runs the redeliveries that come due, in order. */
  async advance(ms: number): Promise<void> {
    this.#clockMs += ms;
    for (;;) {
      this.#scheduled.sort((a, b) => a.dueAt - b.dueAt);
      const next = this.#scheduled[0];
      if (!next || next.dueAt > this.#clockMs) return;
      this.#scheduled.shift();
      await this.#deliver(next.delivery);
    }
  }

  /** Waits for deliveries in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  // ——— webhooks ———

  async #emit(storeId: string, type: string, fields: Json): Promise<void> {
    const hooks = [...this.webhooks.values()].filter((w) => w.storeId === storeId && w.enabled && (w.authorizedEvents.everything || w.authorizedEvents.specificEvents.includes(type)));
    await Promise.all(hooks.map((w) => {
      const deliveryId = id();
      const body = { deliveryId, webhookId: w.id, originalDeliveryId: deliveryId, isRedelivery: false, type, timestamp: Math.floor(Date.now() / 1000), ...fields };
      return this.#deliver({ id: deliveryId, originalId: deliveryId, webhookId: w.id, type, body: JSON.stringify(body), attempt: 0 });
    }));
  }

  #redelivery(d: Delivery): Delivery {
    const deliveryId = id();
    const body = { ...(JSON.parse(d.body) as Json), deliveryId, isRedelivery: true, timestamp: Math.floor(Date.now() / 1000) };
    return { id: deliveryId, originalId: d.originalId, webhookId: d.webhookId, type: d.type, body: JSON.stringify(body), attempt: d.attempt + 1 };
  }

  async #deliver(d: Delivery): Promise<Delivery> {
    const w = this.webhooks.get(d.webhookId)!;
    const found = webhookProblems(d.type, JSON.parse(d.body));
    if (found.length) this.problems.push({ where: `webhook ${d.type}`, problems: found });
    this.deliveries.push(d);
    const sent = (async () => {
      try {
        const res = await fetch(w.url, {
          method: 'POST', body: d.body,
          headers: { 'content-type': 'application/json', 'user-agent': 'BTCPayServer', 'btcpay-sig': `sha256=${createHmac('sha256', w.secret).update(d.body).digest('hex')}` },
          signal: AbortSignal.timeout(10_000),
        });
        d.status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        d.error = (err as Error).message;
      }
      const failed = d.status === undefined || d.status < 200 || d.status >= 300;
      if (failed && w.automaticRedelivery && d.attempt < REDELIVERY_DELAYS_MS.length) {
        this.#scheduled.push({ dueAt: this.#clockMs + REDELIVERY_DELAYS_MS[d.attempt]!, delivery: this.#redelivery(d) });
      }
    })();
    this.#inFlight.add(sent);
    await sent.finally(() => this.#inFlight.delete(sent));
    return d;
  }

  // ——— Greenfield ———

  #auth(req: FastifyRequest, path: string, method: string, storeId: string | undefined): void {
    const m = /^token (\S+)$/.exec(req.headers.authorization ?? '');
    const key = m && this.apiKeys.get(m[1]!);
    if (!key) throw problem(401, 'unauthenticated', 'Authentication is required for accessing this endpoint');
    // The document asks btcpay.server.canmanageusers to read the current key; BTCPay lets any key read itself.
    const needed = path === '/api/v1/api-keys/current' ? [] : requiredPermissions(path, method);
    if (!needed.length) return;
    const ok = key.permissions.some((p) => {
      const [perm, scope] = p.split(':');
      return (perm === 'unrestricted' || needed.includes(perm!)) && (scope === undefined || scope === storeId);
    });
    if (!ok) throw problem(403, 'missing-permission', `Insufficient API Permissions. Please use an API key with permission "${needed[0]}"`);
  }

  /** A Greenfield route: auth, the request checked, the response checked, errors as BTCPay's. */
  #route(method: 'get' | 'post' | 'delete', path: string, handler: (req: FastifyRequest & { params: Record<string, string>; body: Json }) => { status?: number; body?: unknown; storeId?: string } | Promise<unknown>, o: { storeOf?: (params: Record<string, string>) => string | undefined; anonymous?: boolean } = {}) {
    this.app[method](path.replaceAll(/\{(\w+)\}/g, ':$1'), async (req: FastifyRequest, reply: FastifyReply) => {
      const op = `${method.toUpperCase()} ${path}`;
      this.calls.push(op);
      if (this.faults.delete(op)) {
        reply.hijack();
        req.raw.socket.destroy();
        return;
      }
      let status: number;
      let body: unknown;
      try {
        const params = req.params as Record<string, string>;
        if (!o.anonymous) this.#auth(req, path, method, o.storeOf ? o.storeOf(params) : params.storeId);
        const found = requestProblems(path, method, req.body ?? {});
        if (found.length) {
          this.problems.push({ where: `request ${method.toUpperCase()} ${path}`, problems: found });
          throw new HttpProblem(422, found);
        }
        const r = (await handler(req as never)) as { status?: number; body?: unknown };
        status = r.status ?? 200;
        body = r.body;
      } catch (err) {
        if (!(err instanceof HttpProblem)) throw err;
        status = err.status;
        body = err.body;
      }
      // BTCPay answers 401 and 403 on every operation, documented or not.
      const found = status === 401 || status === 403 ? [] : responseProblems(path, method, status, body);
      if (found.length) {
        this.problems.push({ where: `response ${status} ${method.toUpperCase()} ${path}`, problems: found });
        return reply.code(500).send({ code: 'stand-in-defect', message: JSON.stringify(found) });
      }
      return body === undefined ? reply.code(status).send() : reply.code(status).send(body);
    });
  }

  #store(storeId: string) {
    const s = this.stores.get(storeId);
    if (!s) throw problem(404, 'store-not-found', 'The store was not found');
    return s;
  }

  #payout(payoutId: string): Payout {
    const p = this.payouts.get(payoutId);
    if (!p) throw new HttpProblem(404, undefined);
    return p;
  }

  #payoutData(p: Payout): Json {
    return {
      id: p.id, revision: p.revision, pullPaymentId: p.pullPaymentId, date: String(p.date), destination: p.destination,
      originalCurrency: 'BTC', originalAmount: p.amount, payoutCurrency: 'BTC', payoutAmount: p.state === 'AwaitingApproval' ? null : p.amount,
      payoutMethodId: 'BTC-LN', state: p.state, metadata: p.metadata, ...(p.paymentProof && { paymentProof: p.paymentProof }),
    };
  }

  #invoiceData(i: Invoice): Json {
    return {
      id: i.id, storeId: i.storeId, amount: i.amount, paidAmount: i.status === 'Settled' ? i.amount : '0', currency: i.currency, type: 'Standard',
      checkoutLink: `${this.url}/i/${i.id}`, status: i.status, additionalStatus: 'None', createdTime: i.createdTime,
      expirationTime: i.createdTime + 900, monitoringExpiration: i.createdTime + 3600, archived: false, metadata: i.metadata,
    };
  }

  #pullPaymentData(p: PullPayment): Json {
    return { id: p.id, name: p.name, description: p.description, currency: p.currency, amount: p.amount, BOLT11Expiration: '30', autoApproveClaims: p.autoApproveClaims, archived: false, viewLink: `${this.url}/pull-payments/${p.id}` };
  }

  async #newPayout(p: Omit<Payout, 'id' | 'revision' | 'date' | 'metadata'> & { metadata?: Json }): Promise<Payout> {
    const payout: Payout = { metadata: {}, ...p, id: id(), revision: 0, date: Math.floor(Date.now() / 1000) };
    this.payouts.set(payout.id, payout);
    if (payout.state === 'AwaitingPayment') await this.#emit(payout.storeId, 'PayoutApproved', { payoutId: payout.id, pullPaymentId: payout.pullPaymentId ?? null, payoutState: payout.state });
    return payout;
  }

  #routes(): void {
    this.#route('get', '/api/v1/api-keys/current', (req) => {
      const key = /^token (\S+)$/.exec(req.headers.authorization ?? '')![1]!;
      const k = this.apiKeys.get(key)!;
      return { body: { apiKey: key, label: k.label, permissions: k.permissions } };
    });

    this.#route('post', '/api/v1/stores/{storeId}/webhooks', (req) => {
      this.#store(req.params.storeId!);
      const b = req.body as { url?: string; secret?: string | null; enabled?: boolean; automaticRedelivery?: boolean; authorizedEvents?: { everything?: boolean; specificEvents?: string[] } };
      if (!b.url || !/^https?:\/\//.test(b.url)) throw new HttpProblem(400, [{ path: 'url', message: 'Invalid url' }]);
      const w: Webhook = {
        id: id(), storeId: req.params.storeId!, url: b.url, secret: b.secret || id(32), enabled: b.enabled ?? true, automaticRedelivery: b.automaticRedelivery ?? true,
        authorizedEvents: { everything: b.authorizedEvents?.everything ?? true, specificEvents: b.authorizedEvents?.specificEvents ?? [] },
      };
      this.webhooks.set(w.id, w);
      return { body: { id: w.id, enabled: w.enabled, automaticRedelivery: w.automaticRedelivery, url: w.url, authorizedEvents: w.authorizedEvents, secret: w.secret } };
    });

    this.#route('get', '/api/v1/stores/{storeId}/webhooks', (req) => {
      this.#store(req.params.storeId!);
      return { body: [...this.webhooks.values()].filter((w) => w.storeId === req.params.storeId).map((w) => ({ id: w.id, enabled: w.enabled, automaticRedelivery: w.automaticRedelivery, url: w.url, authorizedEvents: w.authorizedEvents })) };
    });

    this.#route('delete', '/api/v1/webhooks/{webhookId}', (req) => {
      if (!this.webhooks.delete(req.params.webhookId!)) throw new HttpProblem(404, undefined);
      return {};
    }, { storeOf: (p) => this.webhooks.get(p.webhookId!)?.storeId });

    this.#route('post', '/api/v1/stores/{storeId}/invoices', (req) => {
      this.#store(req.params.storeId!);
      const b = req.body as { amount?: string; currency?: string; metadata?: Json };
      const inv: Invoice = { id: id(), storeId: req.params.storeId!, amount: b.amount ?? '0', currency: b.currency ?? 'BTC', status: 'New', metadata: b.metadata ?? {}, createdTime: Math.floor(Date.now() / 1000) };
      this.invoices.set(inv.id, inv);
      return { body: this.#invoiceData(inv) };
    });

    this.#route('get', '/api/v1/invoices/{invoiceId}', (req) => {
      const inv = this.invoices.get(req.params.invoiceId!);
      if (!inv) throw new HttpProblem(404, undefined);
      return { body: this.#invoiceData(inv) };
    }, { storeOf: (p) => this.invoices.get(p.invoiceId!)?.storeId });

    this.#route('post', '/api/v1/stores/{storeId}/pull-payments', (req) => {
      this.#store(req.params.storeId!);
      const b = req.body as { name?: string | null; description?: string | null; amount?: string; currency?: string; autoApproveClaims?: boolean | null; payoutMethods?: string[] | null };
      if (!b.amount || !(Number(b.amount) > 0)) throw new HttpProblem(422, [{ path: 'amount', message: 'The amount should more than 0.' }]);
      const pp: PullPayment = {
        id: id(), storeId: req.params.storeId!, name: b.name ?? '', description: b.description ?? '', amount: b.amount, currency: b.currency ?? 'BTC',
        autoApproveClaims: b.autoApproveClaims ?? false, k1: randomBytes(32).toString('hex'), claimed: false,
      };
      this.pullPayments.set(pp.id, pp);
      return { body: this.#pullPaymentData(pp) };
    });

    this.#route('get', '/api/v1/stores/{storeId}/pull-payments', (req) => {
      this.#store(req.params.storeId!);
      return { body: [...this.pullPayments.values()].filter((p) => p.storeId === req.params.storeId).map((p) => this.#pullPaymentData(p)) };
    });

    this.#route('get', '/api/v1/pull-payments/{pullPaymentId}', (req) => {
      const pp = this.pullPayments.get(req.params.pullPaymentId!);
      if (!pp) throw new HttpProblem(404, undefined);
      return { body: this.#pullPaymentData(pp) };
    }, { anonymous: true });

    this.#route('get', '/api/v1/pull-payments/{pullPaymentId}/lnurl', (req) => {
      const pp = this.pullPayments.get(req.params.pullPaymentId!);
      if (!pp) throw new HttpProblem(404, undefined);
      const url = `${this.url}/BTC/UILNURL/withdraw/pp/${pp.id}`;
      return { body: { lnurlBech32: `lightning:${encodeLnurl(url).toUpperCase()}`, lnurlUri: url.replace(/^https?:/, 'lnurlw:') } };
    }, { anonymous: true });

    // LUD-03 withdraw of a pull payment, as BTCPay's UILNURL controller: the claim becomes a payout.
    this.app.get('/BTC/UILNURL/withdraw/pp/:id', async (req) => {
      const pp = this.pullPayments.get((req.params as { id: string }).id);
      if (!pp) return { status: 'ERROR', reason: 'Pull payment not found' };
      const q = req.query as { k1?: string; pr?: string };
      const msat = Math.round(Number(pp.amount) * 1e11);
      if (q.pr === undefined) {
        return { tag: 'withdrawRequest', callback: `${this.url}/BTC/UILNURL/withdraw/pp/${pp.id}`, k1: pp.k1, minWithdrawable: msat, maxWithdrawable: msat, defaultDescription: pp.description };
      }
      if (q.k1 !== pp.k1) return { status: 'ERROR', reason: 'Invalid k1' };
      if (pp.claimed) return { status: 'ERROR', reason: 'Pull payment already claimed' };
      pp.claimed = true;
      await this.#newPayout({ storeId: pp.storeId, pullPaymentId: pp.id, destination: q.pr, amount: pp.amount, state: pp.autoApproveClaims ? 'AwaitingPayment' : 'AwaitingApproval' });
      return { status: 'OK' };
    });

    this.#route('post', '/api/v1/stores/{storeId}/payouts', async (req) => {
      this.#store(req.params.storeId!);
      const b = req.body as { destination?: string; amount?: string; payoutMethodId?: string; approved?: boolean; metadata?: Json };
      if (!b.destination || !b.amount) throw new HttpProblem(422, [{ path: 'destination', message: 'destination and amount are required' }]);
      const p = await this.#newPayout({ storeId: req.params.storeId!, destination: b.destination, amount: b.amount, state: b.approved ? 'AwaitingPayment' : 'AwaitingApproval', metadata: b.metadata });
      return { body: this.#payoutData(p) };
    });

    this.#route('get', '/api/v1/stores/{storeId}/payouts', (req) => {
      this.#store(req.params.storeId!);
      const all = (req.query as { includeCancelled?: string }).includeCancelled === 'true';
      return { body: [...this.payouts.values()].filter((p) => p.storeId === req.params.storeId && (all || p.state !== 'Cancelled')).map((p) => this.#payoutData(p)) };
    });

    this.#route('get', '/api/v1/payouts/{payoutId}', (req) => ({ body: this.#payoutData(this.#payout(req.params.payoutId!)) }), { storeOf: (p) => this.payouts.get(p.payoutId!)?.storeId });

    this.#route('post', '/api/v1/payouts/{payoutId}/mark-paid', (req) => {
      const p = this.#payout(req.params.payoutId!);
      if (p.state !== 'AwaitingPayment' && p.state !== 'InProgress') throw problem(400, 'invalid-state', `The payout is ${p.state}`);
      p.state = 'Completed';
      return {};
    }, { storeOf: (p) => this.payouts.get(p.payoutId!)?.storeId });

    this.#route('post', '/api/v1/payouts/{payoutId}/mark', (req) => {
      const p = this.#payout(req.params.payoutId!);
      const b = req.body as { state?: string; paymentProof?: Json };
      if (p.state === 'Completed' || p.state === 'Cancelled' || p.state === 'AwaitingApproval') throw problem(400, 'invalid-state', `The payout is ${p.state}`);
      p.state = b.state ?? p.state;
      if (b.paymentProof) p.paymentProof = b.paymentProof;
      return {};
    }, { storeOf: (p) => this.payouts.get(p.payoutId!)?.storeId });
  }
}
