// LNURL-pay callback benchmark: GET /lnurlp/<name>/callback?amount=… against a running
// service, N requests at concurrency C. Prints latency percentiles (ms) and invoices/s.
//   node bench/zaps/callback.ts --url http://127.0.0.1:8080 [--requests 2000] [--concurrency 16] [--name npub1…]
// All requests come from one IP: start the service with API_RATE_LIMIT above --requests.
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { nip19 } from 'nostr-tools';
import { options, percentiles } from '../relay/common.ts';

const o = options({ url: { type: 'string', default: 'http://127.0.0.1:8080' }, requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, name: { type: 'string' }, amount: { type: 'string', default: '21000' } });
const name = o.name ?? nip19.npubEncode(getPublicKey(generateSecretKey()));
const total = Number(o.requests);
const url = `${o.url}/lnurlp/${name}/callback?amount=${o.amount}`;

const info = await fetch(`${o.url}/.well-known/lnurlp/${name}`);
if (!info.ok) throw new Error(`pay request failed: ${info.status} ${await info.text()}`);
for (let i = 0; i < 20; i++) await (await fetch(url)).json(); // warm-up: connections, JIT, queue

const samples: number[] = [];
let failures = 0;
let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: Number(o.concurrency) }, async () => {
  while (next++ < total) {
    const t0 = performance.now();
    const res = await fetch(url);
    const body = await res.json() as { pr?: string };
    samples.push(performance.now() - t0);
    if (!res.ok || !body.pr) failures++;
  }
}));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ bench: 'lnurl-callback', url: o.url, concurrency: Number(o.concurrency), latencyMs: percentiles(samples), invoicesPerSecond: Math.round((samples.length - failures) / seconds), failures, seconds: Math.round(seconds * 100) / 100 }, null, 2));
