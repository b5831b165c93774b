// A token of another mint, melted at that mint into an invoice of the holder's (the DM bot's
// redeem of foreign tokens). Talks to the other mint through @cashu/cashu-ts, every request
// through the outbound policy (a stranger chose the address). The holder is credited by the
// invoice watcher (or inside the ledger, for an invoice the other mint pays from here), like any
// invoice; what the other mint kept (input fee, routing fee reserve) is the redeem's fee.
import { getDecodedToken, getTokenMetadata, JSONInt, Mint, sumProofs, Wallet, type Proof, type RequestFn } from '@cashu/cashu-ts';
import type { Context } from '../../core/context.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { TokenError } from '../../core/mint/redeem.ts';

/**
 * cashu-ts requests through Outbound.fetch (checked addresses, capped bodies, bounded waits),
 * bodies written and read as cashu-ts does (JSONInt: its Amount values as JSON numbers).
 */
function outboundRequest(ctx: Context): RequestFn {
  return (async (args: { endpoint: string; method?: string; requestBody?: unknown; headers?: Record<string, string> }) => {
    const res = await ctx.outbound.fetch(args.endpoint, {
      method: args.method ?? 'GET',
      headers: { accept: 'application/json', ...(args.requestBody !== undefined && { 'content-type': 'application/json' }), ...args.headers },
      body: args.requestBody === undefined ? undefined : JSONInt.stringify(args.requestBody),
    });
    const body = JSONInt.parse(await res.text().catch(() => '{}') || '{}') as { detail?: string; code?: number };
    if (!res.ok) throw new Error(`the other mint answered ${res.status}: ${String(body.detail ?? '').slice(0, 200)}`);
    return body;
  }) as RequestFn;
}

export async function redeemForeign(ctx: Context, p: { accountId: string; token: string; key: string }): Promise<{ status: 'paid' | 'pending'; amountSat: bigint; feeSat: bigint }> {
  const meta = getTokenMetadata(p.token);
  const wallet = new Wallet(new Mint(meta.mint, { customRequest: outboundRequest(ctx) }), { unit: meta.unit || 'sat' });
  await wallet.loadMint();
  const token = getDecodedToken(p.token, wallet.keyChain.getKeysets().map((k) => k.id));
  const proofs: Proof[] = token.proofs;
  const total = BigInt(sumProofs(proofs).toString());
  const inputFee = BigInt(wallet.getFeesForProofs(proofs).toString());
  // First a quote for all of it, to learn the other mint's fee reserve; then the invoice that fits.
  let amountSat = total - inputFee;
  let invoice = await createInvoice(ctx, { accountId: p.accountId, idempotencyKey: `${p.key}:probe`, amountMsat: amountSat * 1000n, description: 'Cashu token redeemed' });
  let quote = await wallet.createMeltQuoteBolt11(invoice.paymentRequest!);
  const reserve = BigInt(quote.fee_reserve.toString());
  if (reserve > 0n) {
    amountSat = total - inputFee - reserve;
    if (amountSat <= 0n) throw new TokenError('malformed', 'the token is worth less than the other mint\'s fees');
    invoice = await createInvoice(ctx, { accountId: p.accountId, idempotencyKey: `${p.key}:invoice`, amountMsat: amountSat * 1000n, description: 'Cashu token redeemed' });
    quote = await wallet.createMeltQuoteBolt11(invoice.paymentRequest!);
  }
  // Change would be the other mint's eCash again: the unused reserve is the redeem's fee.
  const melted = await wallet.meltProofsBolt11(quote, proofs, { nut08Change: false });
  return { status: melted.quote.state === 'PAID' ? 'paid' : 'pending', amountSat, feeSat: total - amountSat };
}
