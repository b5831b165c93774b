// Seeds a store with the benchmark dataset (dataset.ts), signed on worker threads and cached
// as NDJSON so later runs skip the signing. Our relay is seeded with COPY straight into its
// schema (--database-url); any other relay over its socket (--url, much slower).
// Usage: node bench/relay/seed.ts --database-url postgres://postgres@127.0.0.1:5432/flash_relay_bench [--events 1000000]
//        node bench/relay/seed.ts --url ws://127.0.0.1:7777 [--events 100000]
import { createReadStream, createWriteStream, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect, ensureDatabase } from '../../core/db.ts';
import { migrate } from '../../core/migrate.ts';
import { indexedTags, searchText } from '../../relay/store.ts';
import { BenchClient, options, print, signDataset, type SignedEvent } from './common.ts';

const o = options({ 'database-url': { type: 'string' }, url: { type: 'string' }, events: { type: 'string', default: '1000000' }, cache: { type: 'string' } });
const total = Number(o.events);
const cache = o.cache ?? path.join(tmpdir(), `flash-bench-${total}.ndjson`);
const started = performance.now();

async function signAll(): Promise<void> {
  const out = createWriteStream(`${cache}.part`);
  await signDataset(total, (lines) => out.write(lines.join('\n') + '\n'));
  await new Promise<void>((resolve) => out.end(resolve));
  renameSync(`${cache}.part`, cache);
}

async function* lines(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(cache) })) if (line) yield line;
}

/** COPY text format: backslash, newline, CR and tab are escaped. */
const copyText = (s: string) => s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);

async function seedDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  const sql = connect(url, { max: 2 });
  await migrate(sql);
  const [{ n }] = (await sql<{ n: number }[]>`select count(*)::int as n from relay_events`) as unknown as [{ n: number }];
  if (n >= total) { console.error(`already seeded (${n} events)`); await sql.end(); return; }
  await sql`truncate relay_events, relay_tags`;
  const tagsFile = `${cache}.tags`;
  const tagsOut = createWriteStream(tagsFile);
  async function* eventRows(): AsyncGenerator<string> {
    for await (const raw of lines()) {
      const e = JSON.parse(raw) as SignedEvent;
      const t = indexedTags(e.tags);
      const search = searchText(e);
      for (let j = 0; j < t.names.length; j++) tagsOut.write(`\\\\x${e.id}\t${t.names[j]}\t${copyText(t.values[j]!)}\t${e.kind}\t${e.created_at}\n`);
      yield `\\\\x${e.id}\t\\\\x${e.pubkey}\t${e.created_at}\t${e.kind}\t${search === null ? '\\N' : copyText(search)}\t${copyText(raw)}\n`;
    }
  }
  // COPY cannot call to_tsvector: events go through a staging table.
  await sql`create unlogged table if not exists relay_seed (id bytea, pubkey bytea, created_at int8, kind int4, search text, raw text)`;
  await sql`truncate relay_seed`;
  await pipeline(Readable.from(eventRows()), await sql`copy relay_seed (id, pubkey, created_at, kind, search, raw) from stdin`.writable());
  await sql`insert into relay_events (id, pubkey, created_at, kind, search, raw)
    select id, pubkey, created_at, kind, to_tsvector('simple', search), raw from relay_seed`;
  await sql`drop table relay_seed`;
  await new Promise<void>((resolve) => tagsOut.end(resolve));
  await pipeline(createReadStream(tagsFile), await sql`copy relay_tags (event_id, name, value, kind, created_at) from stdin`.writable());
  await sql`analyze relay_events`;
  await sql`analyze relay_tags`;
  await sql.end();
}

async function seedRelay(url: string): Promise<void> {
  const clients = await Promise.all(Array.from({ length: 20 }, () => BenchClient.open(url)));
  const it = lines();
  await Promise.all(clients.map(async (c) => {
    for (let r = await it.next(); !r.done; r = await it.next()) await c.publish(r.value, (JSON.parse(r.value) as SignedEvent).id);
  }));
  for (const c of clients) c.close();
}

if (!existsSync(cache)) await signAll();
const signedAt = performance.now();
if (o['database-url']) await seedDatabase(o['database-url']);
else if (o.url) await seedRelay(o.url);
else throw new Error('give --database-url (our relay, COPY) or --url (any relay, over the socket)');
print({ benchmark: 'relay-seed', events: total, cache, sign_seconds: Math.round((signedAt - started) / 1000), load_seconds: Math.round((performance.now() - signedAt) / 1000) });
