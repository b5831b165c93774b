// BTCPay rewards benchmark against a running `flash start` (same DATABASE_URL, REDIS_URL,
// REDIS_PREFIX and MASTER_KEY in the environment; regtest: the business is funded from equity).
// Starts the Greenfield stand-in here, links a store of a new business to it (the webhook URL is
// --url, the running API), then: one invoice at a time, InvoiceSettled → the reward paid (an
// internal transfer to a buyer with an account), as latency; then --burst invoices settled at
// once, as webhooks (rewards) per second. Prints JSON.
//   node bench/btcpay/rewards.ts --url http://127.0.0.1:8080 [--rounds 50] [--burst 200]
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { loadConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import { createLogger } from '../../core/log.ts';
import { createBusiness } from '../../core/business/business.ts';
import { setRewardRule } from '../../core/btcpay/rewards.ts';
import { linkStore, requiredPermissions } from '../../workers/btcpay/link.ts';
import { BtcpaySim } from '../../test/sims/btcpay/server.ts';
import { options, percentiles } from '../relay/common.ts';

const o = options({ url: { type: 'string', default: 'http://127.0.0.1:8080' }, rounds: { type: 'string', default: '50' }, burst: { type: 'string', default: '200' } });
const config = loadConfig();
if (config.NETWORK !== 'regtest') throw new Error('the BTCPay benchmark funds a business from equity: regtest only');
config.publicUrl = o.url.replace(/\/$/, '');
const ctx = await createContext(config, { log: createLogger({ level: 'warn' }) });
const sim = await BtcpaySim.start();
const storeId = sim.createStore('bench');
const ownerKey = sim.createApiKey(['unrestricted'], 'owner');
const business = await createBusiness(ctx, { pubkey: getPublicKey(generateSecretKey()), name: 'bench' });
const funds = 10n ** 12n;
await post(ctx.sql, { idempotencyKey: `bench-fund-${business.accountId}`, kind: 'bench.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -funds }, { accountId: business.accountId, amountMsat: funds }] });
const link = await linkStore(ctx, { businessAccountId: business.accountId, url: sim.url, storeId, apiKey: sim.createApiKey(Object.keys(requiredPermissions).map((p) => `${p}:${storeId}`)) });
await setRewardRule(ctx.sql, business.accountId, { percent: '1', maxSats: '1000' });

/** An invoice of 10 000 sats, not yet paid, whose buyer has an account here. */
async function newInvoice(): Promise<string> {
  const buyer = getPublicKey(generateSecretKey());
  await accounts.forPubkey(ctx.sql, buyer);
  const res = await fetch(`${sim.url}/api/v1/stores/${storeId}/invoices`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `token ${ownerKey}` },
    body: JSON.stringify({ amount: '0.0001', currency: 'BTC', metadata: { flashBuyer: buyer } }),
  });
  if (!res.ok) throw new Error(`creating an invoice: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Settles the invoices (their webhooks leave the store) and waits until every reward is paid. */
async function settle(ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => sim.settleInvoice(id)));
  for (;;) {
    const rows = await ctx.sql<{ status: string }[]>`select status from btcpay_rewards where link_id = ${link.id} and invoice_id in ${ctx.sql(ids)}`;
    const failed = rows.filter((r) => r.status !== 'paid' && r.status !== 'pending');
    if (failed.length) throw new Error(`rewards not paid: ${JSON.stringify(failed)}`);
    if (rows.length === ids.length && rows.every((r) => r.status === 'paid')) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const latencies: number[] = [];
for (let i = 0; i < Number(o.rounds); i++) {
  const id = await newInvoice();
  const t0 = performance.now();
  await settle([id]);
  latencies.push(performance.now() - t0);
}
const burst = Number(o.burst);
const ids = await Promise.all(Array.from({ length: burst }, () => newInvoice()));
const t0 = performance.now();
await settle(ids);
const seconds = (performance.now() - t0) / 1000;
const refused = sim.deliveries.filter((d) => d.status !== 200).length;
console.log(JSON.stringify({
  bench: 'btcpay.rewards', webhookToRewardMs: percentiles(latencies), burst, rewardsPerSecond: Math.round((burst / seconds) * 10) / 10,
  deliveries: sim.deliveries.length, refused, standInProblems: sim.problems.length,
}, null, 2));
await sim.close();
await closeContext(ctx);
