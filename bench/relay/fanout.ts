// Fan-out: N subscribers whose filter matches every published event; latency from publish
// to delivery at each subscriber. Subscribers are spread over every --url (several relay
// processes); events are published to --publish-url (default: the first --url).
// Usage: node bench/relay/fanout.ts --url ws://127.0.0.1:7777 [--url ws://127.0.0.1:7778] [--subscribers 5000] [--events 20]
import { BenchClient, benchKey, options, percentiles, print, signEvent } from './common.ts';

const o = options({ url: { type: 'string', multiple: true, default: ['ws://127.0.0.1:7777'] }, 'publish-url': { type: 'string' }, subscribers: { type: 'string', default: '5000' }, events: { type: 'string', default: '20' }, gap: { type: 'string', default: '300' } });
const urls = o.url;
const n = Number(o.subscribers);
const run = Math.random().toString(36).slice(2);
const filter = { kinds: [1], '#t': [`fanout-${run}`] };
const key = benchKey(20_000);

const sentAt = new Map<string, number>();
const latencies: number[] = [];
const received = new Map<string, number>();
const subscribers: BenchClient[] = [];
for (let i = 0; i < n; i += 250) {
  const batch = await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, j) => BenchClient.open(urls[(i + j) % urls.length]!)));
  await Promise.all(batch.map(async (c) => {
    c.onEvent = (_sub, e) => {
      const t = sentAt.get(e.id);
      if (t !== undefined) latencies.push(performance.now() - t);
      received.set(e.id, (received.get(e.id) ?? 0) + 1);
    };
    await c.subscribe('fan', filter);
  }));
  subscribers.push(...batch);
}

const publisher = await BenchClient.open(o['publish-url'] ?? urls[0]!);
const events = Array.from({ length: Number(o.events) }, (_, i) => signEvent(key.sk, { kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [['t', `fanout-${run}`]], content: `fan-out ${i}` }));
const deadline = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const e of events) {
  sentAt.set(e.id, performance.now());
  await publisher.publish(JSON.stringify(e), e.id);
  const until = performance.now() + 10_000;
  while ((received.get(e.id) ?? 0) < n && performance.now() < until) await deadline(5);
  await deadline(Number(o.gap));
}
const complete = events.filter((e) => received.get(e.id) === n).length;
for (const c of [...subscribers, publisher]) c.close();
print({
  benchmark: 'relay-fanout', urls, publish_url: o['publish-url'] ?? urls[0], subscribers: n, events: events.length,
  events_delivered_to_all: complete, deliveries: latencies.length, delivery_ms: percentiles(latencies),
});
