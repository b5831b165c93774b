// NUT-04 minting with BOLT 11 (and NUT-20 signed mint quotes). A quote is an invoice of the
// `mint` system account: when it is paid the watcher credits lightning → mint (the eCash
// liability, before any is issued); minting then signs the outputs once (mint_issue).
import { randomUUID } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Context } from '../context.ts';
import { systemAccounts } from '../ledger/accounts.ts';
import { createInvoice } from '../lightning/invoices.ts';
import { callMint, json } from './db.ts';
import { MintError, MintRequestError } from './errors.ts';
import { mintKeys, UNIT } from './keys.ts';
import { mintQuoteRequest, mintRequest, parse, type BlindSignature } from './schemas.ts';
import { signOutputs, verifyOutputs } from './verify.ts';
import { checkLimits } from './limits.ts';

export type MintQuoteState = 'UNPAID' | 'PAID' | 'ISSUED';

export interface MintQuote {
  quote: string; request: string; amount: number; unit: string; state: MintQuoteState; expiry: number; pubkey?: string;
}

interface QuoteRow { id: string; unit: string; amount: bigint; request: string; pubkey: string | null; issued: boolean; expires_at: Date; status: string }

const toQuote = (r: QuoteRow): MintQuote => ({
  quote: r.id, request: r.request, amount: Number(r.amount), unit: r.unit,
  state: r.issued ? 'ISSUED' : r.status === 'succeeded' ? 'PAID' : 'UNPAID',
  expiry: Math.floor(r.expires_at.getTime() / 1000), ...(r.pubkey && { pubkey: r.pubkey }),
});

export async function createMintQuote(ctx: Context, body: unknown): Promise<MintQuote> {
  const req = parse(mintQuoteRequest, body);
  if (req.unit !== UNIT) throw new MintError(11013, req.unit);
  checkLimits(ctx.config, BigInt(req.amount));
  const id = randomUUID();
  const invoice = await createInvoice(ctx, {
    accountId: systemAccounts.mint, idempotencyKey: `mint-quote:${id}`, amountMsat: BigInt(req.amount) * 1000n,
    description: req.description ?? `${ctx.config.MINT_NAME}: ${req.amount} sat`, expirySeconds: ctx.config.MINT_QUOTE_EXPIRY_SECONDS,
  });
  await ctx.sql`insert into mint_quotes (id, unit, amount, transaction_id, request, pubkey, expires_at)
    values (${id}, ${UNIT}, ${req.amount}, ${invoice.id}, ${invoice.paymentRequest!}, ${req.pubkey ?? null}, ${invoice.expiresAt!})`;
  return (await getMintQuote(ctx, id))!;
}

export async function getMintQuote(ctx: Context, id: string): Promise<MintQuote | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const [row] = await ctx.sql<QuoteRow[]>`
    select q.*, t.status from mint_quotes q join transactions t on t.id = q.transaction_id where q.id = ${id}`;
  return row && toQuote(row);
}

/** NUT-20: a BIP-340 signature over sha256(quote ‖ B_0 ‖ … ‖ B_n-1) by the quote's key. */
function checkQuoteSignature(quote: MintQuote, outputs: Array<{ B_: string }>, signature: string | undefined): void {
  if (!quote.pubkey) return;
  if (!signature) throw new MintError(20008, 'the quote is locked to a key: sign the request');
  const msg = sha256(utf8ToBytes(quote.quote + outputs.map((o) => o.B_).join('')));
  let ok: boolean;
  try {
    ok = schnorr.verify(hexToBytes(signature), msg, hexToBytes(quote.pubkey).slice(1));
  } catch {
    ok = false;
  }
  if (!ok) throw new MintError(20008);
}

export async function mintTokens(ctx: Context, body: unknown): Promise<{ signatures: BlindSignature[] }> {
  const req = parse(mintRequest, body);
  const quote = await getMintQuote(ctx, req.quote);
  if (!quote) throw new MintRequestError('unknown quote');
  if (quote.state === 'ISSUED') throw new MintError(20002);
  if (quote.state === 'UNPAID') throw new MintError(quote.expiry * 1000 <= Date.now() ? 20007 : 20001);
  checkQuoteSignature(quote, req.outputs, req.signature);
  const keys = await mintKeys(ctx);
  const outputs = verifyOutputs(ctx.config, keys, req.outputs);
  if (outputs.unit !== quote.unit) throw new MintError(11010);
  if (outputs.total !== BigInt(quote.amount)) throw new MintError(11005, `outputs ${outputs.total} ≠ quote ${quote.amount}`);
  const signed = signOutputs(keys, req.outputs);
  await callMint(() => ctx.sql`select mint_issue(${quote.quote}, ${json(ctx.sql, signed.map((s) => s.row))})`);
  return { signatures: signed.map((s) => s.signature) };
}
