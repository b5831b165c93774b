// Ingest: sustained accepted events/s from many publishing connections, and OK latency.
// Usage: node bench/relay/ingest.ts --url ws://127.0.0.1:7777 [--connections 50] [--seconds 10] [--inflight 10]
import { BenchClient, options, percentiles, print, signDataset } from './common.ts';

const o = options({ url: { type: 'string', default: 'ws://127.0.0.1:7777' }, connections: { type: 'string', default: '50' }, seconds: { type: 'string', default: '10' }, inflight: { type: 'string', default: '10' }, events: { type: 'string', default: '150000' } });
const connections = Number(o.connections);
const inflight = Number(o.inflight);
const seconds = Number(o.seconds);

// Signed before the clock starts, on worker threads: the benchmark dataset (notes and
// reactions of 100 authors) with a salt in every note, so runs never repeat an event.
const salt = `-${Math.random().toString(36).slice(2)}`;
const events: Array<{ id: string; raw: string }> = [];
await signDataset(Number(o.events), (lines) => {
  for (const raw of lines) events.push({ id: (JSON.parse(raw) as { id: string }).id, raw });
}, salt);

const clients = await Promise.all(Array.from({ length: connections }, () => BenchClient.open(o.url!)));
const latencies: number[] = [];
let next = 0;
let accepted = 0;
let refused = 0;
const reasons = new Map<string, number>();
const start = performance.now();
const deadline = start + seconds * 1000;

async function worker(c: BenchClient): Promise<void> {
  while (performance.now() < deadline && next < events.length) {
    const e = events[next++]!;
    const t0 = performance.now();
    const [ok, why] = await c.publish(e.raw, e.id);
    latencies.push(performance.now() - t0);
    if (ok) accepted++;
    else { refused++; reasons.set(why, (reasons.get(why) ?? 0) + 1); }
  }
}
await Promise.all(clients.flatMap((c) => Array.from({ length: inflight }, () => worker(c))));
const elapsed = (performance.now() - start) / 1000;
for (const c of clients) c.close();
print({
  benchmark: 'relay-ingest', url: o.url, connections, inflight_per_connection: inflight,
  seconds: Math.round(elapsed * 100) / 100, accepted, refused, refusals: Object.fromEntries(reasons),
  accepted_per_s: Math.round(accepted / elapsed), ok_latency_ms: percentiles(latencies),
  ran_out_of_events: next >= events.length,
});
