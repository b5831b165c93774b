// NUT-05 melting with BOLT 11 (NUT-08 change, NUT-23 quotes), as a saga:
//   1. one transaction: the inputs recorded as pending, the blank change outputs stored, the
//      quote PENDING and the Lightning payment reserved through the payment engine (the
//      `mint` system account pays);
//   2. the payment's attempts run on the Lightning rail (workers), as any payment's do;
//   3. once the payment is final, another transaction: succeeded → inputs spent, change
//      signed, the rest to `fees`, quote PAID; failed → inputs released, quote UNPAID.
// A payment whose outcome is unknown leaves the quote PENDING and its inputs pending for as
// long as it takes: only the payment's final failure releases them. `finishMelts` (workers, at
// start-up and on a schedule) and every read of a pending quote finish what is left.
// An invoice of this service is paid inside the ledger in the first transaction.
import { randomUUID } from 'node:crypto';
import type { Context } from '../context.ts';
import { isUniqueViolation, type Tx } from '../db.ts';
import { systemAccounts } from '../ledger/accounts.ts';
import { post } from '../ledger/ledger.ts';
import { Bolt11Error, decodeBolt11, type Bolt11 } from '../lightning/bolt11.ts';
import { lightningRail } from '../lightning/rail.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import { awaitOutcome, reserveIn } from '../payments/outgoing.ts';
import { getTransaction, recordTransactionEvents, toTransaction, type Transaction, type TransactionRow } from '../payments/transactions.ts';
import { json } from './db.ts';
import { MintError, MintRequestError, mintErrorOf } from './errors.ts';
import { checkLimits } from './limits.ts';
import { mintKeys, UNIT, type MintKeys } from './keys.ts';
import { splitAmount } from './nut02.ts';
import { meltQuoteRequest, meltRequest, parse, type BlindedMessage, type BlindSignature } from './schemas.ts';
import { signOutputs, verifyInputs, verifyOutputs } from './verify.ts';

export type MeltQuoteState = 'UNPAID' | 'PENDING' | 'PAID';

export interface MeltQuote {
  quote: string; amount: number; fee_reserve: number; state: MeltQuoteState; expiry: number; request: string; unit: string;
  payment_preimage: string | null; change?: BlindSignature[];
}

interface MeltRow {
  id: string; unit: string; request: string; payment_hash: string; amount: bigint; fee_reserve: bigint; state: MeltQuoteState;
  transaction_id: string | null; attempts: number; internal: boolean; inputs_sat: bigint | null; input_fee_sat: bigint | null;
  fee_paid_sat: bigint | null; preimage: string | null; outputs: BlindedMessage[] | null; expires_at: Date;
}

const ceilSat = (msat: bigint) => (msat + 999n) / 1000n;

function decode(ctx: Context, request: string): Bolt11 {
  let invoice: Bolt11;
  try {
    invoice = decodeBolt11(request);
  } catch (err) {
    if (err instanceof Bolt11Error) throw new MintRequestError(`invalid invoice: ${err.message}`);
    throw err;
  }
  if (invoice.network !== ctx.config.NETWORK) throw new MintRequestError(`the invoice is for ${invoice.network}, this mint runs on ${ctx.config.NETWORK}`);
  return invoice;
}

/** Our own open invoice for this request, if it is one (paid inside the ledger). */
async function ownInvoice(db: Tx | Context['sql'], request: string, lock = false): Promise<TransactionRow | undefined> {
  const [row] = await db<TransactionRow[]>`
    select * from transactions where direction = 'incoming' and kind = 'lightning' and payment_request = ${request}
    ${lock ? db`for update` : db``}`;
  return row;
}

export async function createMeltQuote(ctx: Context, body: unknown): Promise<MeltQuote> {
  const req = parse(meltQuoteRequest, body);
  if (req.unit !== UNIT) throw new MintError(11013, req.unit);
  const invoice = decode(ctx, req.request);
  if (invoice.amountMsat === undefined) throw new MintError(11011);
  if (invoice.expiresAt.getTime() <= Date.now()) throw new MintError(20007, 'the invoice has expired');
  const amount = ceilSat(invoice.amountMsat);
  checkLimits(ctx.config, amount);
  const own = await ownInvoice(ctx.sql, invoice.paymentRequest);
  if (own && own.status !== 'open') throw new MintError(20006);
  const feeReserve = own ? 0n : ceilSat(lightningRail.feeReserve(ctx.config, invoice.amountMsat));
  const id = randomUUID();
  await ctx.sql`insert into melt_quotes (id, unit, request, payment_hash, amount, fee_reserve, internal, expires_at)
    values (${id}, ${UNIT}, ${invoice.paymentRequest}, ${invoice.paymentHash}, ${amount}, ${feeReserve}, ${Boolean(own)}, ${invoice.expiresAt})`;
  return (await getMeltQuote(ctx, id))!;
}

async function readQuote(db: Context['sql'] | Tx, id: string, lock = false): Promise<MeltRow | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const [row] = await db<MeltRow[]>`select * from melt_quotes where id = ${id} ${lock ? db`for update` : db``}`;
  return row;
}

async function changeOf(ctx: Context, row: MeltRow): Promise<BlindSignature[] | undefined> {
  if (row.state !== 'PAID' || !row.outputs?.length) return undefined;
  const signed = await ctx.sql<{ b_: string; keyset_id: string; amount: bigint; c_: string; dleq_e: string; dleq_s: string }[]>`
    select * from mint_signatures where melt_quote = ${row.id} and c_ is not null`;
  const byB = new Map(signed.map((s) => [s.b_, s]));
  return row.outputs.filter((o) => byB.has(o.B_)).map((o) => {
    const s = byB.get(o.B_)!;
    return { amount: Number(s.amount), id: s.keyset_id, C_: s.c_, dleq: { e: s.dleq_e, s: s.dleq_s } };
  });
}

const toQuote = async (ctx: Context, r: MeltRow): Promise<MeltQuote> => ({
  quote: r.id, amount: Number(r.amount), fee_reserve: Number(r.fee_reserve), state: r.state, expiry: Math.floor(r.expires_at.getTime() / 1000),
  request: r.request, unit: r.unit, payment_preimage: r.preimage, ...(r.state === 'PAID' && { change: (await changeOf(ctx, r)) ?? [] }),
});

/** The quote as it is; a pending one is finished first if its payment is final. */
export async function getMeltQuote(ctx: Context, id: string): Promise<MeltQuote | undefined> {
  let row = await readQuote(ctx.sql, id);
  if (row?.state === 'PENDING') row = await finishMelt(ctx, row.id);
  return row && toQuote(ctx, row);
}

export async function melt(ctx: Context, body: unknown): Promise<MeltQuote> {
  const req = parse(meltRequest, body);
  const quote = await readQuote(ctx.sql, req.quote);
  if (!quote) throw new MintRequestError('unknown quote');
  if (quote.state === 'PENDING') throw new MintError(20005);
  if (quote.state === 'PAID') throw new MintError(20006);
  if (quote.expires_at.getTime() <= Date.now()) throw new MintError(20007);
  const keys = await mintKeys(ctx);
  const blanks = req.outputs ?? [];
  const outputs = verifyOutputs(ctx.config, keys, blanks, true);
  const inputs = verifyInputs(ctx.config, keys, req.inputs, blanks, quote.id);
  if (inputs.unit !== quote.unit || (outputs.unit && outputs.unit !== quote.unit)) throw new MintError(11010);
  const needed = quote.amount + quote.fee_reserve + inputs.fee;
  if (inputs.total < needed) throw new MintError(11005, `inputs ${inputs.total} < amount ${quote.amount} + fee reserve ${quote.fee_reserve} + input fee ${inputs.fee}`);
  const invoice = decodeBolt11(quote.request);

  if (quote.internal) {
    await meltInternal(ctx, quote, keys, inputs, blanks);
    return (await getMeltQuote(ctx, quote.id))!;
  }
  let payment: Transaction;
  try {
    payment = await ctx.sql.begin(async (tx) => {
      const q = (await readQuote(tx, quote.id, true))!;
      if (q.state !== 'UNPAID') throw new MintError(q.state === 'PENDING' ? 20005 : 20006);
      await tx`select mint_spend(${json(tx, inputs.spends)}, 'pending', ${q.id})`;
      if (blanks.length) await tx`select mint_sign(${json(tx, blanks.map((o) => ({ b_: o.B_, id: o.id, amount: 1 })))}, ${q.id})`;
      const t = await reserveIn(tx, lightningRail, {
        account_id: systemAccounts.mint, kind: 'lightning', idempotency_key: `melt:${q.id}:${q.attempts + 1}`,
        amount_msat: invoice.amountMsat!, fee_reserve_msat: q.fee_reserve * 1000n, payment_hash: invoice.paymentHash,
        payment_request: invoice.paymentRequest, destination: invoice.destination, description: invoice.description ?? null,
        description_hash: invoice.descriptionHash ?? null, expires_at: invoice.expiresAt, rail_ref: q.id,
      });
      await tx`update melt_quotes set state = 'PENDING', transaction_id = ${t.id}, attempts = attempts + 1, inputs_sat = ${inputs.total},
        input_fee_sat = ${inputs.fee}, outputs = ${json(tx, blanks)} where id = ${q.id}`;
      return t;
    });
  } catch (err) {
    // Another account of this service pays this invoice through the node already.
    if (isUniqueViolation(err, 'transactions_paying_node')) throw new MintError(20006);
    throw mintErrorOf(err);
  }
  await awaitOutcome(ctx, lightningRail, payment, req.prefer_async ? 0 : ctx.config.MINT_MELT_WAIT_MS);
  const row = await finishMelt(ctx, quote.id);
  return toQuote(ctx, row!);
}

/** The change outputs signed: the amount's powers of two on the first blanks, in order. */
function change(keys: MintKeys, blanks: BlindedMessage[], amount: bigint) {
  const parts = amount > 0n ? splitAmount(amount) : [];
  const assigned = blanks.slice(0, parts.length).map((o, i) => ({ ...o, amount: Number(parts[i]) }));
  const signed = signOutputs(keys, assigned);
  return { signed, total: assigned.reduce((s, o) => s + BigInt(o.amount), 0n) };
}

async function writeChange(tx: Tx, quoteId: string, signed: ReturnType<typeof change>['signed']): Promise<void> {
  if (signed.length) {
    await tx`update mint_signatures s set amount = c.amount::int8, c_ = c.c_, dleq_e = c.e, dleq_s = c.s
      from jsonb_to_recordset(${json(tx, signed.map((x) => x.row))}) as c (b_ text, amount text, c_ text, e text, s text)
      where s.b_ = c.b_ and s.melt_quote = ${quoteId} and s.c_ is null`;
  }
  await tx`delete from mint_signatures where melt_quote = ${quoteId} and c_ is null`;
}

/**
 * Step 3 for one quote: once its payment is final, spend or release the inputs (once: the
 * quote is locked and must still be PENDING). Returns the quote as it is now.
 */
export async function finishMelt(ctx: Context, quoteId: string): Promise<MeltRow | undefined> {
  const quote = await readQuote(ctx.sql, quoteId);
  if (quote?.state !== 'PENDING' || !quote.transaction_id) return quote;
  const payment = await getTransaction(ctx.sql, quote.transaction_id);
  if (!payment || payment.status === 'pending') return quote;
  const keys = await mintKeys(ctx);
  if (payment.status === 'succeeded') {
    const feeSat = ceilSat(payment.feeMsat);
    const owed = quote.inputs_sat! - quote.input_fee_sat! - quote.amount - feeSat;
    const { signed, total } = change(keys, quote.outputs ?? [], owed > 0n ? owed : 0n);
    await ctx.sql.begin(async (tx) => {
      const q = (await readQuote(tx, quoteId, true))!;
      if (q.state !== 'PENDING' || q.transaction_id !== payment.id) return;
      await tx`update mint_proofs set state = 'spent' where melt_quote = ${q.id} and state = 'pending'`;
      await writeChange(tx, q.id, signed);
      // The inputs burned beyond the payment (input fee, rounding, change not asked for) are revenue.
      const kept = (q.inputs_sat! - total) * 1000n - (payment.amountMsat! + payment.feeMsat);
      if (kept > 0n) {
        await post(tx, {
          idempotencyKey: `melt:${q.id}:${q.attempts}:fee`, kind: 'mint.fee', ref: payment.id,
          postings: [{ accountId: systemAccounts.mint, amountMsat: -kept }, { accountId: systemAccounts.fees, amountMsat: kept }],
        });
      }
      await tx`update melt_quotes set state = 'PAID', fee_paid_sat = ${feeSat}, preimage = ${payment.preimage ?? null} where id = ${q.id}`;
    });
  } else {
    await ctx.sql.begin(async (tx) => {
      const q = (await readQuote(tx, quoteId, true))!;
      if (q.state !== 'PENDING' || q.transaction_id !== payment.id) return;
      await tx`delete from mint_proofs where melt_quote = ${q.id} and state = 'pending'`;
      await tx`delete from mint_signatures where melt_quote = ${q.id} and c_ is null`;
      await tx`update melt_quotes set state = 'UNPAID', transaction_id = null, inputs_sat = null, input_fee_sat = null, outputs = null where id = ${q.id}`;
    });
  }
  return readQuote(ctx.sql, quoteId);
}

/** An invoice of this service: inputs spent, the invoice credited and change signed in one transaction. */
async function meltInternal(ctx: Context, quote: MeltRow, keys: MintKeys, inputs: ReturnType<typeof verifyInputs>, blanks: BlindedMessage[]): Promise<void> {
  const owed = inputs.total - inputs.fee - quote.amount;
  const { signed, total } = change(keys, blanks, owed);
  try {
    await ctx.sql.begin(async (tx) => {
      const q = (await readQuote(tx, quote.id, true))!;
      if (q.state !== 'UNPAID') throw new MintError(q.state === 'PENDING' ? 20005 : 20006);
      const inv = await ownInvoice(tx, q.request, true);
      if (!inv || inv.status !== 'open') throw new MintError(20006);
      await tx`select mint_spend(${json(tx, inputs.spends)}, 'spent', ${q.id})`;
      if (blanks.length) await tx`select mint_sign(${json(tx, blanks.map((o) => ({ b_: o.B_, id: o.id, amount: 1 })))}, ${q.id})`;
      await writeChange(tx, q.id, signed);
      const amountMsat = inv.amount_msat ?? q.amount * 1000n;
      const [paid] = await tx<TransactionRow[]>`
        update transactions set status = 'succeeded', amount_msat = ${amountMsat}, settled_at = now(), counterparty_account_id = ${systemAccounts.mint}
        where id = ${inv.id} returning *`;
      await recordTransactionEvents(tx, ['payment.received', toTransaction(paid!)]);
      const kept = (inputs.total - total) * 1000n - amountMsat;
      await post(tx, {
        idempotencyKey: `internal:${inv.payment_hash}`, kind: 'payment.internal', ref: inv.id,
        postings: [{ accountId: systemAccounts.mint, amountMsat: -(amountMsat + kept) }, { accountId: inv.account_id, amountMsat }, { accountId: systemAccounts.fees, amountMsat: kept }],
      });
      await tx`update melt_quotes set state = 'PAID', attempts = attempts + 1, inputs_sat = ${inputs.total}, input_fee_sat = ${inputs.fee},
        fee_paid_sat = 0, preimage = ${inv.preimage}, outputs = ${json(tx, blanks)} where id = ${q.id}`;
    });
  } catch (err) {
    throw mintErrorOf(err);
  }
  void publishCommitted(ctx);
  await ctx.bus.enqueue('lightning.cancelInvoice', { paymentHash: quote.payment_hash }, { id: `cancel:melt:${quote.id}` })
    .catch((err: unknown) => ctx.log.warn({ err }, 'could not cancel an invoice melted internally'));
}

/** Finishes every PENDING melt whose payment is final (workers: at start-up and on a schedule). */
export async function finishMelts(ctx: Context): Promise<{ checked: number; finished: number }> {
  const rows = await ctx.sql<{ id: string }[]>`select id from melt_quotes where state = 'PENDING' order by created_at limit 1000`;
  let finished = 0;
  for (const { id } of rows) if ((await finishMelt(ctx, id))?.state !== 'PENDING') finished++;
  return { checked: rows.length, finished };
}
