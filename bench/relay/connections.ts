// Connections: relay memory per idle connection. Opens N sockets and compares the relay
// process's resident memory (from /proc, so the relay must run on this machine) before and after.
// Usage: node bench/relay/connections.ts --url ws://127.0.0.1:7777 --pid <relay pid> [--connections 10000]
import { readFileSync } from 'node:fs';
import { BenchClient, options, print } from './common.ts';

const o = options({ url: { type: 'string', default: 'ws://127.0.0.1:7777' }, pid: { type: 'string' }, connections: { type: 'string', default: '10000' }, settle: { type: 'string', default: '5000' } });
if (!o.pid) throw new Error('--pid of the relay process is required');
const rssKiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${o.pid}/status`, 'utf8'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n = Number(o.connections);

// A first batch warms up the relay's lazy allocations, so the slope is per connection.
const warm = await Promise.all(Array.from({ length: 100 }, () => BenchClient.open(o.url!)));
await sleep(Number(o.settle));
const before = rssKiB();
const clients: BenchClient[] = [];
for (let i = 0; i < n; i += 500) clients.push(...await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => BenchClient.open(o.url!))));
await sleep(Number(o.settle));
const after = rssKiB();
for (const c of [...warm, ...clients]) c.close();
print({ benchmark: 'relay-connections', url: o.url, connections: n, relay_rss_before_mib: Math.round(before / 1024), relay_rss_after_mib: Math.round(after / 1024), kib_per_connection: Math.round(((after - before) / n) * 10) / 10 });
