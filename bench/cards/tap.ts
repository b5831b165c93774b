// Flash Cards benchmark against a running service: issues a card to a new holder (funded from
// equity, so regtest and the fake Lightning node only), programs the card simulator from the
// programming link, then taps it N times one after the other: tap → withdraw request, and
// tap → withdraw request → callback with an invoice of the outside fake node → OK (the
// callback waits for the payment's outcome). Prints latency percentiles (ms) as JSON.
//   node bench/cards/tap.ts --url http://127.0.0.1:8080 [--public-url https://…] [--taps 200]
// Run with the service's environment (DATABASE_URL, REDIS_URL, MASTER_KEY, PUBLIC_URL) and
// API_RATE_LIMIT above 3 × --taps.
import { loadConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { createCard } from '../../core/cards/cards.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { EXTERNAL_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { lnurlwToHttp, SimulatedCard, type ProgrammingJson } from '../../test/sims/boltcard/card.ts';
import { options, percentiles } from '../relay/common.ts';

const o = options({ url: { type: 'string', default: 'http://127.0.0.1:8080' }, 'public-url': { type: 'string' }, taps: { type: 'string', default: '200' }, amount: { type: 'string', default: '1000000' } });
const n = Number(o.taps);
const amount = BigInt(o.amount);
const config = loadConfig();
if (config.NETWORK !== 'regtest' || config.LIGHTNING_BACKEND !== 'fake') throw new Error('the card benchmark funds a holder from equity and pays the fake node: regtest only');
const publicUrl = (o['public-url'] ?? config.publicUrl).replace(/\/$/, '');
const local = (url: string) => (url.startsWith(publicUrl) ? o.url.replace(/\/$/, '') + url.slice(publicUrl.length) : url);
const getJson = async (url: string) => {
  const res = await fetch(local(url));
  const body = await res.json() as Record<string, unknown>;
  if (res.status !== 200 || body.status === 'ERROR') throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

const ctx = await createContext(config, { log: createLogger({ level: 'warn' }) });
const holder = await accounts.forPubkey(ctx.sql, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'));
const funds = (amount + 100_000n) * BigInt(n) * 2n;
await post(ctx.sql, { idempotencyKey: `bench-card-${holder.id}`, kind: 'bench.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -funds }, { accountId: holder.id, amountMsat: funds }] });
const { programUrl } = await createCard(ctx, { accountId: holder.id, name: 'bench', tapLimitMsat: amount, dayLimitMsat: funds });
const card = SimulatedCard.program(await getJson(programUrl) as unknown as ProgrammingJson);
const outside = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
const invoices: string[] = [];
for (let i = 0; i < n + 10; i++) invoices.push((await outside.createInvoice({ amountMsat: amount, description: 'bench', expirySeconds: 3600 })).paymentRequest);
await outside.close();

const tap = () => getJson(lnurlwToHttp(card.tap(), publicUrl.startsWith('https:') ? 'https' : 'http'));
const pay = (w: Record<string, unknown>, pr: string) => getJson(`${String(w.callback)}?k1=${String(w.k1)}&pr=${pr}`);
for (let i = 0; i < 10; i++) await pay(await tap(), invoices.pop()!); // warm-up

const tapOnly: number[] = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await tap();
  tapOnly.push(performance.now() - t0);
}
const tapToPaid: number[] = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await pay(await tap(), invoices.pop()!);
  tapToPaid.push(performance.now() - t0);
}
const [paid] = await ctx.sql<{ n: bigint }[]>`select count(*) as n from transactions where account_id = ${holder.id} and direction = 'outgoing' and status = 'succeeded'`;
await closeContext(ctx);
console.log(JSON.stringify({ bench: 'card-taps', taps: n, amountMsat: Number(amount), tapToWithdrawRequestMs: percentiles(tapOnly), tapToPaidMs: percentiles(tapToPaid), succeeded: Number(paid!.n) }, null, 2));
