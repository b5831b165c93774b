// The wallet-connect budget guard over a burst of payments that the engine reserves in
// batches: connections mixed in one batch, one of them over its budget and one revoked. Each
// payment must get its own answer, each request be linked to its own payment, and nothing be
// half-written for the refused ones.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetGuard, usedBudget } from '../../bots/nwc/budget.ts';
import { createConnection, revokeConnection } from '../../bots/nwc/connections.ts';
import type { Nip47Error } from '../../bots/nwc/nip47.ts';
import { generateSecretKey, getPublicKey } from '../../core/nostr/keys.ts';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { fund, newPubkey, startTestWallet, type TestWallet } from '../support/wallet.ts';

let w: TestWallet;
beforeAll(async () => { w = await startTestWallet(); });
afterAll(async () => { await w.close(); });

async function connection(budgetSats?: bigint) {
  const { connection: c } = await createConnection(w.ctx, { user: getPublicKey(generateSecretKey()), name: 'app', isolated: true, budgetSats, renewal: budgetSats === undefined ? undefined : 'monthly' });
  await fund(w.ctx.sql, c.walletAccountId, 1_000_000n);
  return c;
}

/** Records a request as the service does before running it, then pays through the guard. */
async function pay(c: { id: string; walletAccountId: string }, invoice: string): Promise<string> {
  const eventId = randomBytes(32).toString('hex');
  await w.ctx.sql`insert into nwc_requests (event_id, connection_id, method, author, encryption, instance)
    values (${eventId}, ${c.id}, 'pay_invoice', ${newPubkey()}, 'nip44_v2', 'test')`;
  const outcome = await payInvoice(w.ctx, {
    accountId: c.walletAccountId, idempotencyKey: `nwc:${eventId}`, paymentRequest: invoice, waitMs: 5000,
    guard: { guard: budgetGuard, data: { connectionId: c.id, eventId } },
  }).then((r) => r.status, (err: Nip47Error) => err.code);
  const [linked] = await w.ctx.sql<{ key: string | null }[]>`
    select t.idempotency_key as key from nwc_requests r left join transactions t on t.id = r.transaction_id where r.event_id = ${eventId}`;
  return `${outcome} ${linked!.key === `nwc:${eventId}` ? 'linked' : linked!.key === null ? 'unlinked' : 'linked elsewhere'}`;
}

describe('wallet-connect budget guard', () => {
  it('gives each payment of a mixed burst its own answer and link', async () => {
    const free = await connection();
    // 20 sat + the 10 sat minimum fee reserve counts 30 sat while pending: two fit in 70 sat.
    const capped = await connection(70n);
    const revoked = await connection();
    await revokeConnection(w.ctx, revoked.id);
    const invoices = await Promise.all(Array.from({ length: 12 }, () => w.externalInvoice(20_000n)));
    // The fake node settles at once, and a settled payment counts 20 sat + its ~1 sat fee: a
    // third may fit once two have settled, never a fourth.
    const outcomes = await Promise.all(invoices.map((invoice, i) => pay([free, capped, revoked][i % 3]!, invoice)));
    const of = (n: number) => outcomes.filter((_, i) => i % 3 === n);

    expect(of(0)).toEqual(Array(4).fill('succeeded linked'));
    expect(of(2)).toEqual(Array(4).fill('UNAUTHORIZED unlinked'));
    const cappedPaid = of(1).filter((o) => o === 'succeeded linked').length;
    expect(cappedPaid).toBeGreaterThanOrEqual(2);
    expect(cappedPaid).toBeLessThanOrEqual(3);
    expect(of(1).filter((o) => o !== 'succeeded linked')).toEqual(Array(4 - cappedPaid).fill('QUOTA_EXCEEDED unlinked'));
    expect(await usedBudget(w.ctx.sql, capped.id, undefined)).toBeLessThanOrEqual(70_000n);

    // Refused payments leave no row and no reserve behind.
    const rows = async (accountId: string) => Number((await w.ctx.sql`select count(*) from transactions where account_id = ${accountId}`)[0]!.count);
    expect([await rows(free.walletAccountId), await rows(capped.walletAccountId), await rows(revoked.walletAccountId)]).toEqual([4, cappedPaid, 0]);
    expect(await balance(w.ctx.sql, revoked.walletAccountId)).toBe(1_000_000n);
    expect(await check(w.ctx.sql, { ...ledgerRules, ...paymentRules })).toEqual([]);
  });

  it('pays an outside and an inside invoice of one connection at once without a deadlock', async () => {
    // A batch of reserves locks balance rows, then the connection; an inside payment must take
    // them in the same order. Someone holds the wallet's balance row while the outside payment's
    // batch and then the inside payment queue behind it; on release both must go through.
    const c = await connection();
    const payee = await w.user();
    const inside = (await createInvoice(w.ctx, { accountId: payee, amountMsat: 5_000n, idempotencyKey: randomBytes(8).toString('hex') })).paymentRequest!;
    const outside = await w.externalInvoice(5_000n);
    const waiting = async () => Number((await w.ctx.sql`
      select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.count);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => { locked = r; });
    const holder = w.ctx.sql.begin(async (tx) => {
      await tx`select 1 from accounts where id = ${c.walletAccountId} for no key update`;
      locked();
      await held;
    });
    await isLocked;
    const first = pay(c, outside);
    await expect.poll(waiting).toBe(1);
    const second = pay(c, inside);
    await expect.poll(waiting).toBeGreaterThanOrEqual(2);
    release();
    await holder;
    expect(await Promise.all([first, second])).toEqual(['succeeded linked', 'succeeded linked']);
    expect(await balance(w.ctx.sql, payee)).toBe(5_000n);
  });
});
