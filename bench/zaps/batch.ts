// Business batch benchmark: registers a business and N users here (on the service's own
// database; the business is funded from equity, so regtest only), POSTs one batch of N zaps
// to internal users over NIP-98, and times it until every line is final. Prints JSON.
//   node bench/zaps/batch.ts --url http://127.0.0.1:8080 [--public-url https://…] [--recipients 1000]
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { loadConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { httpAuthHeader } from '../../core/nostr/nip98.ts';
import { createBusiness, setSigningKey } from '../../core/business/business.ts';
import type { BatchReport, BatchSummary } from '../../core/business/batches.ts';
import { options } from '../relay/common.ts';

const o = options({ url: { type: 'string', default: 'http://127.0.0.1:8080' }, 'public-url': { type: 'string' }, recipients: { type: 'string', default: '1000' }, amount: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '32' } });
const n = Number(o.recipients);
const amount = BigInt(o.amount);
const publicUrl = (o['public-url'] ?? o.url).replace(/\/$/, '');
const config = loadConfig();
if (config.NETWORK !== 'regtest') throw new Error('the batch benchmark funds a business from equity: regtest only');

const ctx = await createContext(config, { log: createLogger({ level: 'warn' }) });
const bizKey = generateSecretKey();
const business = await createBusiness(ctx, { pubkey: getPublicKey(bizKey), name: 'bench', concurrency: Number(o.concurrency) });
await setSigningKey(ctx, business.accountId, generateSecretKey());
const funds = amount * BigInt(n) * 2n;
await post(ctx.sql, { idempotencyKey: `bench-fund-${business.accountId}`, kind: 'bench.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -funds }, { accountId: business.accountId, amountMsat: funds }] });
const recipients: string[] = [];
for (let i = 0; i < n; i++) {
  const pk = getPublicKey(generateSecretKey());
  await accounts.forPubkey(ctx.sql, pk);
  recipients.push(nip19.npubEncode(pk));
}
await closeContext(ctx);

async function call<T = BatchReport>(method: string, path: string, body?: unknown): Promise<T> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const res = await fetch(`${o.url}${path}`, {
    method, body: text,
    headers: { authorization: httpAuthHeader(bizKey, { url: `${publicUrl}${path}`, method, body: text }), ...(text && { 'content-type': 'application/json' }) },
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

const started = performance.now();
const { id } = await call('POST', '/api/v1/zaps', { idempotencyKey: `bench-${Date.now()}`, amountMsat: o.amount, comment: 'bench', recipients });
// Polls the totals alone (as a client watching progress would), then reads the whole report.
for (;;) {
  const summary = await call<BatchSummary>('GET', `/api/v1/zaps/${id}?lines=false`);
  if (summary.status === 'finished' && summary.totals.pending === 0 && summary.totals.queued === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const report = await call('GET', `/api/v1/zaps/${id}`);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ bench: 'business-batch', recipients: n, concurrency: Number(o.concurrency), seconds: Math.round(seconds * 100) / 100, zapsPerSecond: Math.round(n / seconds), totals: report.totals }, null, 2));
