// Pruning of repeat-guard rows: old ones go, recent ones and those budgets count stay.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as accounts from '../../core/ledger/accounts.ts';
import { createCard } from '../../core/cards/cards.ts';
import { pruneOldRows } from '../../core/retention.ts';
import { createConnection } from '../../bots/nwc/connections.ts';
import { generateSecretKey, getPublicKey } from '../../core/nostr/keys.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext({ RETENTION_DAYS: '30' }); });
afterAll(async () => { await ctx?.close(); });

const id = () => randomBytes(32).toString('hex');
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

it('deletes rows past RETENTION_DAYS only, keeping requests that made a payment or are still running', async () => {
  const user = getPublicKey(generateSecretKey());
  const { connection } = await createConnection(ctx, { user });
  const account = await accounts.forPubkey(ctx.sql, user);
  const [tx] = await ctx.sql<{ id: string }[]>`
    insert into transactions (account_id, direction, kind, rail, status, idempotency_key, amount_msat, payment_hash)
    values (${account.id}, 'incoming', 'lightning', 'lightning', 'open', ${id()}, 1000, ${id()}) returning id`;
  const request = async (ageDays: number, o: { status?: string; transactionId?: string } = {}) => {
    const eventId = id();
    await ctx.sql`insert into nwc_requests (event_id, connection_id, method, author, encryption, instance, status, transaction_id, created_at)
      values (${eventId}, ${connection.id}, 'get_info', ${user}, 'nip44_v2', 'test', ${o.status ?? 'done'}, ${o.transactionId ?? null}, ${daysAgo(ageDays)})`;
    return eventId;
  };
  const oldDone = await request(31);
  const keep = [await request(29), await request(31, { transactionId: tx!.id }), await request(31, { status: 'processing' })];
  const [oldDm, newDm] = [id(), id()];
  await ctx.sql`insert into dm_messages (id, sender, received_at) values (${oldDm}, ${user}, ${daysAgo(31)}), (${newDm}, ${user}, ${daysAgo(29)})`;
  await ctx.sql`insert into dm_notices (key, sent_at) values ('old', ${daysAgo(31)}), ('new', ${daysAgo(29)})`;
  const { card } = await createCard(ctx, { accountId: account.id });
  const tap = async (ageDays: number, transactionId: string | null = null) => {
    const k1 = id();
    await ctx.sql`insert into card_taps (k1, card_id, counter, expires_at, transaction_id, created_at) values (${k1}, ${card.id}, 1, ${daysAgo(ageDays)}, ${transactionId}, ${daysAgo(ageDays)})`;
    return k1;
  };
  await tap(31);
  const keptTaps = [await tap(29), await tap(31, tx!.id)];

  const [link] = await ctx.sql<{ id: string }[]>`insert into btcpay_links (business_account_id, url, store_id, api_key, webhook_id, webhook_secret)
    values (${account.id}, 'http://127.0.0.1:1', ${id()}, 'sealed', 'hook', 'sealed') returning id`;
  const delivery = async (name: string, ageDays: number, processed: boolean) => ctx.sql`
    insert into btcpay_deliveries (link_id, original_delivery_id, delivery_id, type, body, received_at, processed_at)
    values (${link!.id}, ${name}, ${name}, 'InvoiceSettled', '{}', ${daysAgo(ageDays)}, ${processed ? daysAgo(ageDays) : null})`;
  await delivery('old', 31, true);
  await delivery('old-unprocessed', 31, false);
  await delivery('recent', 29, true);

  expect(await pruneOldRows(ctx.sql, ctx.config)).toEqual({ nwcRequests: 1, dmMessages: 1, dmNotices: 1, cardTaps: 1, btcpayDeliveries: 1 });
  expect((await ctx.sql`select original_delivery_id from btcpay_deliveries`).map((r) => r.original_delivery_id).sort()).toEqual(['old-unprocessed', 'recent']);
  const requests = await ctx.sql<{ event_id: string }[]>`select event_id from nwc_requests`;
  expect(requests.map((r) => r.event_id).sort()).toEqual([...keep].sort());
  expect(requests.map((r) => r.event_id)).not.toContain(oldDone);
  expect((await ctx.sql`select id from dm_messages`).map((r) => r.id)).toEqual([newDm]);
  expect((await ctx.sql`select key from dm_notices`).map((r) => r.key)).toEqual(['new']);
  expect((await ctx.sql`select k1 from card_taps`).map((r) => r.k1).sort()).toEqual(keptTaps.sort());
});

it('never prunes inside twice the age a repeat is still accepted at', async () => {
  const [recent, older] = [id(), id()];
  await ctx.sql`insert into dm_messages (id, sender, received_at) values (${recent}, ${id()}, ${daysAgo(1.5)}), (${older}, ${id()}, ${daysAgo(2.5)})`;
  await pruneOldRows(ctx.sql, { ...ctx.config, RETENTION_DAYS: 1, DM_MAX_AGE_SECONDS: 86_400 });
  const left = (await ctx.sql`select id from dm_messages where id in (${recent}, ${older})`).map((r) => r.id);
  expect(left).toEqual([recent]);
});
