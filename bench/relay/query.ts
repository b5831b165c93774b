// Query: REQ→EOSE latency for author+kind, tag and time-range filters on the seeded
// dataset (run seed.ts first). Usage:
//   node bench/relay/query.ts --url ws://127.0.0.1:7777 [--requests 1000] [--limit 50] [--concurrency 1]
import { AUTHORS, BASE, HASHTAGS, STEP, authorPubkey } from './dataset.ts';
import { BenchClient, options, percentiles, print } from './common.ts';

const o = options({ url: { type: 'string', default: 'ws://127.0.0.1:7777' }, requests: { type: 'string', default: '1000' }, limit: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '1' }, events: { type: 'string', default: '1000000' } });
const requests = Number(o.requests);
const limit = Number(o.limit);
const span = Number(o.events) * STEP;

// A fixed pseudo-random sequence, so that runs (and relays) get the same queries.
let state = 42;
const rand = (n: number) => { state = (state * 1_103_515_245 + 12_345) % 2 ** 31; return state % n; };

// Event i is a reaction when i % 5 === 4, so authors and hashtags ≡ 4 (mod 5) have no notes.
const withNotes = (n: number) => { const v = rand(n); return v % 5 === 4 ? v - 1 : v; };

const shapes: Record<string, () => object> = {
  author_kind: () => ({ authors: [authorPubkey(withNotes(AUTHORS))], kinds: [1], limit }),
  tag: () => ({ '#t': [`tag${withNotes(HASHTAGS)}`], kinds: [1], limit }),
  time_range: () => { const since = BASE + rand(span - 3600); return { since, until: since + 3600, limit }; },
};

const clients = await Promise.all(Array.from({ length: Number(o.concurrency) }, () => BenchClient.open(o.url!)));
const results: Record<string, unknown> = {};
let sub = 0;
for (const [name, make] of Object.entries(shapes)) {
  const warm = Array.from({ length: 50 }, make);
  for (const f of warm) await clients[0]!.query(`w${sub++}`, f);
  const latencies: number[] = [];
  let events = 0;
  let next = 0;
  await Promise.all(clients.map(async (c) => {
    while (next++ < requests) {
      const f = make();
      const t0 = performance.now();
      events += await c.query(`q${sub++}`, f);
      latencies.push(performance.now() - t0);
    }
  }));
  results[name] = { req_to_eose_ms: percentiles(latencies), mean_events: Math.round(events / requests) };
}
for (const c of clients) c.close();
print({ benchmark: 'relay-query', url: o.url, requests_per_shape: requests, limit, concurrency: Number(o.concurrency), ...results });
