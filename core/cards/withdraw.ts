// A card tap as LNURL-withdraw (LUD-03) for Boltcards: GET on the card's base with `p` and `c`
// → check the SUN message and advance the counter atomically → a `withdrawRequest` with a
// single-use `k1`; the callback with `k1` and `pr` pays the invoice from the holder's balance
// through the payment engine, once per k1: the tap's row is linked to the payment inside the
// reserving transaction (cardGuard), and the payment's idempotency key is the k1.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { Bolt11Error, decodeBolt11 } from '../lightning/bolt11.ts';
import { payInvoice } from '../lightning/pay.ts';
import type { ReserveGuard } from '../payments/outgoing.ts';
import { openKeys, spentToday, type CardRow } from './cards.ts';
import { CardError } from './errors.ts';
import { decryptPicc, sunMac } from './ntag424.ts';

const fail = (code: ConstructorParameters<typeof CardError>[0], message: string) => new CardError(code, message);

const tapQuery = z.object({
  p: z.string().regex(/^[0-9a-fA-F]{32}$/, 'p must be 16 bytes in hex'),
  c: z.string().regex(/^[0-9a-fA-F]{16}$/, 'c must be 8 bytes in hex'),
});

const min = (...xs: bigint[]) => xs.reduce((a, b) => (b < a ? b : a));

export interface WithdrawRequest {
  tag: 'withdrawRequest'; callback: string; k1: string; defaultDescription: string; minWithdrawable: number; maxWithdrawable: number;
}

/** GET /cards/tap/<card id>?p=…&c=… (the URL the card's NDEF message gives a point of sale). */
export async function tap(ctx: Context, cardId: string, query: unknown): Promise<WithdrawRequest> {
  const q = tapQuery.safeParse(query);
  if (!q.success) throw fail('invalid_request', q.error.issues.map((i) => i.message).join('; '));
  const [card] = z.uuid().safeParse(cardId).success ? await ctx.sql<CardRow[]>`select * from cards where id = ${cardId} and wiped_at is null` : [];
  if (!card) throw fail('unknown_card', 'unknown card');
  const keys = openKeys(ctx, card);
  const picc = decryptPicc(Buffer.from(keys.k1, 'hex'), Buffer.from(q.data.p, 'hex'));
  const uid = picc?.uid.toString('hex');
  // Nothing is written before the MAC checks: a forged tap cannot move the counter.
  if (!picc || (card.uid !== null && card.uid !== uid) || !timingSafeEqual(sunMac(Buffer.from(keys.k2, 'hex'), picc), Buffer.from(q.data.c, 'hex'))) {
    throw fail('bad_mac', 'card authentication failed');
  }
  if (!card.enabled) throw fail('disabled', 'this card is disabled');
  const k1 = randomBytes(32).toString('hex');
  // One statement: the counter only rises (a replayed or older tap matches no row), the k1
  // exists only if it rose, and today's spending comes back with it.
  const [accepted] = await ctx.sql<{ k1: string; spent: bigint }[]>`
    with c as (
      update cards set counter = ${picc.counter}, uid = ${uid!}
      where id = ${card.id} and counter < ${picc.counter} and enabled and wiped_at is null and (uid is null or uid = ${uid!})
      returning id),
    k as (
      insert into card_taps (k1, card_id, counter, expires_at)
      select ${k1}, id, ${picc.counter}, now() + make_interval(secs => ${ctx.config.CARD_K1_SECONDS}) from c
      returning k1)
    select k.k1, card_spent_today(${card.id}) as spent
    from k`;
  if (!accepted) throw fail('replayed', 'this tap was seen already (its counter is not higher than the last one)');
  const left = card.day_limit_msat - accepted.spent;
  if (left < 1000n) throw fail('over_day_limit', 'the daily limit of this card is reached');
  return {
    tag: 'withdrawRequest',
    callback: `${ctx.config.publicUrl}/cards/callback`,
    k1,
    defaultDescription: `Flash card ${card.name}`,
    minWithdrawable: 1000,
    maxWithdrawable: Number(min(card.tap_limit_msat, left, ctx.config.PAYMENT_MAX_MSAT)),
  };
}

const callbackQuery = z.object({
  k1: z.string().regex(/^[0-9a-f]{64}$/, 'k1 must be 32 bytes in lower-case hex'),
  pr: z.string().min(1).max(7100),
});

interface TapRow { k1: string; card_id: string; expires_at: Date; transaction_id: string | null; account_id: string; name: string; enabled: boolean; wiped_at: Date | null; tap_limit_msat: bigint }

/** What the guard needs of a card payment. */
export interface CardPayment { cardId: string; k1: string }

/**
 * The reserve guard of card payments, in the reserving transaction: locks the cards (id
 * order), links each tap to its payment (a k1 already linked or expired refuses the batch),
 * refuses a card disabled or wiped meanwhile, and a day's spending above the card's limit.
 */
export const cardGuard: ReserveGuard<CardPayment> = {
  async check(tx, payments) {
    const ids = [...new Set(payments.map((p) => p.data.cardId))].sort();
    const cards = await tx<Pick<CardRow, 'id' | 'enabled' | 'wiped_at' | 'tap_limit_msat' | 'day_limit_msat'>[]>`
      select id, enabled, wiped_at, tap_limit_msat, day_limit_msat from cards where id = any(${ids}::uuid[]) order by id for no key update`;
    if (cards.length < ids.length || cards.some((c) => !c.enabled || c.wiped_at)) throw fail('disabled', 'this card is disabled');
    const linked = await tx`
      update card_taps k set transaction_id = p.tid
      from unnest(${payments.map((p) => p.data.k1)}::text[], ${payments.map((p) => p.payment.id)}::uuid[]) as p (k1, tid)
      where k.k1 = p.k1 and k.transaction_id is null and k.expires_at > now()
      returning 1`;
    if (linked.length !== payments.length) throw fail('k1_used', 'this k1 was used already or has expired');
    const spent = await spentToday(tx, ids);
    const over = cards.find((c) => (spent.get(c.id) ?? 0n) > c.day_limit_msat);
    if (over) throw fail('over_day_limit', `this payment would take the card over its daily limit of ${over.day_limit_msat / 1000n} sats`);
  },
};

/** GET /cards/callback?k1=…&pr=… → LUD-03 `{"status":"OK"}`; the invoice is paid from the card holder's balance. */
export async function withdraw(ctx: Context, query: unknown): Promise<{ status: 'OK' }> {
  const q = callbackQuery.safeParse(query);
  if (!q.success) throw fail('invalid_request', q.error.issues.map((i) => i.message).join('; '));
  const { k1, pr } = q.data;
  const [t] = await ctx.sql<TapRow[]>`
    select k.k1, k.card_id, k.expires_at, k.transaction_id, c.account_id, c.name, c.enabled, c.wiped_at, c.tap_limit_msat
    from card_taps k join cards c on c.id = k.card_id where k.k1 = ${k1}`;
  if (!t) throw fail('unknown_k1', 'unknown k1');
  let invoice;
  try {
    invoice = decodeBolt11(pr.replace(/^lightning:/i, ''));
  } catch (err) {
    if (err instanceof Bolt11Error) throw fail('invalid_invoice', err.message);
    throw err;
  }
  if (t.transaction_id) {
    // The same callback again (a retry) is answered as the first; another invoice is refused.
    const [first] = await ctx.sql<{ payment_hash: string; status: string }[]>`select payment_hash, status from transactions where id = ${t.transaction_id}`;
    if (first?.payment_hash === invoice.paymentHash && first.status !== 'failed') return { status: 'OK' };
    throw fail('k1_used', 'this k1 was used already');
  }
  if (t.expires_at.getTime() <= Date.now()) throw fail('k1_expired', 'this k1 has expired: tap the card again');
  if (!t.enabled || t.wiped_at) throw fail('disabled', 'this card is disabled');
  if (invoice.network !== ctx.config.NETWORK) throw fail('wrong_network', `the invoice is for ${invoice.network}, this service runs on ${ctx.config.NETWORK}`);
  if (invoice.amountMsat === undefined) throw fail('amount_required', 'the invoice has no amount');
  if (invoice.amountMsat > t.tap_limit_msat) throw fail('over_tap_limit', `the amount is above this card's limit of ${t.tap_limit_msat / 1000n} sats per payment`);
  const r = await payInvoice(ctx, {
    accountId: t.account_id, idempotencyKey: `card:${k1}`, paymentRequest: invoice.paymentRequest, waitMs: ctx.config.CARD_PAY_WAIT_MS,
    memo: `card ${t.name}`, metadata: { card: t.card_id }, guard: { guard: cardGuard, data: { cardId: t.card_id, k1 } satisfies CardPayment },
  });
  // Two callbacks of one k1 at once with different invoices: the engine answers the loser with the winner's payment.
  if (r.paymentHash !== invoice.paymentHash) throw fail('k1_used', 'this k1 was used already');
  if (r.status === 'failed') throw fail('payment_failed', `the payment failed: ${r.message ?? r.reason}`);
  return { status: 'OK' };
}
