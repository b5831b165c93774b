// The mint's guarantees over HTTP: a proof spent once however many swaps race for it, every
// bad request answered with its NUT code and nothing written, and melts as a saga (pending
// inputs held while the payment is in flight, released only when it fails).
import { getEncodedToken, MintQuoteState, Wallet, type Proof } from '@cashu/cashu-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ledgerRules } from '../../core/ledger/check.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { mintRules } from '../../core/mint/check.ts';
import { rotateKeyset } from '../../core/mint/keys.ts';
import { secretY, pointHex } from '../../core/mint/nut00.ts';
import { splitAmount } from '../../core/mint/nut02.ts';
import { paymentRules } from '../../core/payments/check.ts';
import { post, rawOutputs, startTestMint, type TestMint } from '../support/mint.ts';

let m: TestMint;
beforeAll(async () => { m = await startTestMint({ MINT_MAX_INPUTS: '20', MINT_MAX_OUTPUTS: '20' }); });
afterAll(async () => { await m?.close(); });

const sum = (ps: Proof[]) => ps.reduce((s, p) => s + Number(p.amount), 0);
const wire = (ps: Proof[]) => ps.map((p) => ({ amount: Number(p.amount), id: p.id, secret: p.secret, C: p.C }));
const ledgerIsClean = async () => expect(await check(m.ctx.sql, { ...ledgerRules, ...paymentRules, ...mintRules })).toEqual([]);
const count = async (table: 'mint_proofs' | 'mint_signatures') => (await m.ctx.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;

async function wallet(): Promise<Wallet> {
  const w = new Wallet(m.url);
  await w.loadMint();
  return w;
}

async function mintProofs(amount: number): Promise<{ w: Wallet; proofs: Proof[] }> {
  const w = await wallet();
  const quote = await w.createMintQuoteBolt11(amount);
  await m.payFromOutside(quote.request);
  while ((await w.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
  return { w, proofs: await w.mintProofsBolt11(amount, quote.quote) };
}

const activeKeyset = async () => ((await (await fetch(`${m.url}/v1/keysets`)).json()) as { keysets: Array<{ id: string; active: boolean }> }).keysets.find((k) => k.active)!.id;

describe('double spend', () => {
  it('50 concurrent swaps of the same proofs: exactly one succeeds, the others answer 11001', { timeout: 60_000 }, async () => {
    const { proofs } = await mintProofs(64);
    const keyset = await activeKeyset();
    const inputs = wire(proofs);
    const results = await Promise.all(Array.from({ length: 50 }, () => post(`${m.url}/v1/swap`, { inputs, outputs: rawOutputs(keyset, [32, 32]) })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.map((r) => r.body.code)).toEqual(Array(49).fill(11001));
    // Only the winner's outputs were signed.
    expect((await m.ctx.sql`select count(*)::int as n from mint_signatures where amount = 32`)[0]!.n).toBe(2);
    await ledgerIsClean();
  });
});

describe('races', () => {
  it('10 concurrent mints of one paid quote: one issues, the others answer 20002', async () => {
    const w = await wallet();
    const quote = await w.createMintQuoteBolt11(8);
    await m.payFromOutside(quote.request);
    while ((await w.checkMintQuoteBolt11(quote.quote)).state !== MintQuoteState.PAID) await new Promise((r) => setTimeout(r, 50));
    const keyset = await activeKeyset();
    const results = await Promise.all(Array.from({ length: 10 }, () => post(`${m.url}/v1/mint/bolt11`, { quote: quote.quote, outputs: rawOutputs(keyset, [8]) })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => r.body.code)).toEqual(Array(9).fill(20002));
    await ledgerIsClean();
  });

  it('10 concurrent melts of one quote with different inputs: one pays, once', async () => {
    const { w, proofs } = await mintProofs(400);
    const quote = await w.createMeltQuoteBolt11(await m.externalInvoice(10_000n));
    const sets: Proof[][] = [];
    let rest = proofs;
    for (let i = 0; i < 10; i++) {
      const { keep, send } = await w.send(quote.amount.add(quote.fee_reserve), rest, { includeFees: true });
      sets.push(send);
      rest = keep;
    }
    const results = await Promise.all(sets.map((inputs) => post(`${m.url}/v1/melt/bolt11`, { quote: quote.quote, inputs: wire(inputs) })));
    expect(results.filter((r) => r.status === 200).map((r) => r.body.state)).toEqual(['PAID']);
    expect(results.filter((r) => r.status !== 200).every((r) => [20005, 20006].includes(r.body.code!))).toBe(true);
    expect((await m.ctx.sql`select count(*)::int as n from transactions where rail_ref = ${quote.quote}`)[0]!.n).toBe(1);
    // The losers' inputs were never touched.
    const losers = sets.filter((_, i) => results[i]!.status !== 200).flat();
    expect((await w.checkProofsStates(losers)).every((s) => s.state === 'UNSPENT')).toBe(true);
    await ledgerIsClean();
  });
});

describe('bad input answers its NUT code and writes nothing', () => {
  it('swap', async () => {
    const { proofs } = await mintProofs(16);
    const keyset = await activeKeyset();
    const inputs = wire(proofs);
    const before = [await count('mint_proofs'), await count('mint_signatures')];
    const cases: Array<[string, unknown, number]> = [
      ['unbalanced', { inputs, outputs: rawOutputs(keyset, [8, 4]) }, 11005],
      ['duplicate inputs', { inputs: [...inputs, inputs[0]], outputs: rawOutputs(keyset, [16, 16]) }, 11007],
      ['duplicate outputs', { inputs, outputs: [...rawOutputs(keyset, [8]), ...rawOutputs(keyset, [8])].map((o, _, a) => ({ ...o, B_: a[0]!.B_ })) }, 11008],
      ['unknown keyset', { inputs: inputs.map((p) => ({ ...p, id: `01${'ab'.repeat(32)}` })), outputs: rawOutputs(keyset, [16]) }, 12001],
      ['bad signature', { inputs: inputs.map((p) => ({ ...p, secret: `${p.secret}00` })), outputs: rawOutputs(keyset, [16]) }, 10001],
      ['C not a point', { inputs: inputs.map((p) => ({ ...p, C: `02${'00'.repeat(32)}` })), outputs: rawOutputs(keyset, [16]) }, 10001],
      ['amount without a key', { inputs, outputs: rawOutputs(keyset, [15, 1]) }, 11006],
      ['too many outputs', { inputs, outputs: rawOutputs(keyset, Array(21).fill(1)) }, 11015],
      ['too many inputs', { inputs: Array.from({ length: 21 }, (_, i) => ({ ...inputs[0], secret: `s${i}` })), outputs: rawOutputs(keyset, [16]) }, 11014],
      ['locked secret of an unchecked kind', { inputs: inputs.map((p) => ({ ...p, secret: JSON.stringify(['XYZ', { nonce: '00', data: '02' }]) })), outputs: rawOutputs(keyset, [16]) }, 10001],
    ];
    for (const [name, body, code] of cases) {
      const r = await post(`${m.url}/v1/swap`, body);
      expect([name, r.status, r.body.code]).toEqual([name, 400, code]);
    }
    // Malformed bodies are refused with a reason, not a crash.
    for (const body of ['{"inputs": [', { inputs: 'x' }, { inputs: [{ amount: -1 }], outputs: [] }]) {
      const r = await post(`${m.url}/v1/swap`, body);
      expect(r.status).toBe(400);
      expect(r.body.detail).toBeTruthy();
    }
    expect([await count('mint_proofs'), await count('mint_signatures')]).toEqual(before);
    // An output already signed (11003), then the inputs themselves again (11001).
    const outputs = rawOutputs(keyset, [16]);
    expect((await post(`${m.url}/v1/swap`, { inputs, outputs })).status).toBe(200);
    const again = await mintProofs(16);
    expect((await post(`${m.url}/v1/swap`, { inputs: wire(again.proofs), outputs })).body.code).toBe(11003);
    expect((await post(`${m.url}/v1/swap`, { inputs, outputs: rawOutputs(keyset, [16]) })).body.code).toBe(11001);
    await ledgerIsClean();
  });

  it('mint and melt quotes', async () => {
    const keyset = await activeKeyset();
    expect((await post(`${m.url}/v1/mint/bolt11`, { quote: '00000000-0000-4000-8000-000000000000', outputs: rawOutputs(keyset, [1]) })).body).toMatchObject({ code: 0, detail: 'unknown quote' });
    const w = await wallet();
    const unpaid = await w.createMintQuoteBolt11(8);
    expect((await post(`${m.url}/v1/mint/bolt11`, { quote: unpaid.quote, outputs: rawOutputs(keyset, [8]) })).body.code).toBe(20001);
    expect((await post(`${m.url}/v1/mint/quote/bolt11`, { amount: 8, unit: 'usd' })).body.code).toBe(11013);
    expect((await post(`${m.url}/v1/mint/quote/bolt11`, { amount: 10_000_000, unit: 'sat' })).body.code).toBe(11006);
    const paid = await mintProofs(8);
    const quote = (await m.ctx.sql<{ id: string }[]>`select id from mint_quotes where issued order by created_at desc limit 1`)[0]!.id;
    expect((await post(`${m.url}/v1/mint/bolt11`, { quote, outputs: rawOutputs(keyset, [8]) })).body.code).toBe(20002);
    expect(sum(paid.proofs)).toBe(8);
    expect((await post(`${m.url}/v1/melt/quote/bolt11`, { request: 'lnbcrt1garbage', unit: 'sat' })).status).toBe(400);
    expect((await post(`${m.url}/v1/melt/quote/bolt11`, { request: await m.externalInvoice(1000n), unit: 'usd' })).body.code).toBe(11013);
  });
});

describe('keysets and fees', () => {
  it('rotates to a keyset with an input fee: old proofs still spend, outputs only on the new one, fees to `fees`', async () => {
    const { proofs: before } = await mintProofs(40);
    const old = await activeKeyset();
    const rotated = await rotateKeyset(m.ctx, 500);
    expect(rotated.retired).toEqual([old]);
    expect(await activeKeyset()).toBe(rotated.id);
    expect((await post(`${m.url}/v1/swap`, { inputs: wire(before), outputs: rawOutputs(old, [8, 32]) })).body.code).toBe(12002);
    // The old keyset charged nothing: its proofs move to the new one for free.
    expect((await post(`${m.url}/v1/swap`, { inputs: wire(before), outputs: rawOutputs(rotated.id, [8, 32]) })).status).toBe(200);
    const fees = await balance(m.ctx.sql, systemAccounts.fees);
    const { w, proofs } = await mintProofs(40);
    expect(proofs.every((p) => p.id === rotated.id)).toBe(true);
    // cashu-ts pays the new keyset's input fee (0.5 sat per input, rounded up) itself.
    const { keep, send } = await w.send(10, proofs, { includeFees: true });
    const bob = await wallet();
    const received = await bob.receive(getEncodedToken({ mint: m.url, proofs: send }), { requireDleq: true });
    expect(sum(received)).toBeLessThanOrEqual(10);
    const paid = 40 - sum(keep) - sum(received);
    expect(paid).toBeGreaterThan(0);
    expect(await balance(m.ctx.sql, systemAccounts.fees) - fees).toBe(BigInt(paid) * 1000n);
    await ledgerIsClean();
  });
});

describe('melt saga', () => {
  it('holds the inputs pending while the payment is in flight; spends them once it succeeds', async () => {
    const { w, proofs } = await mintProofs(300);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    m.node.faults.beforeSend = () => held;
    try {
      const invoice = await m.externalInvoice(100_000n);
      const quote = await w.createMeltQuoteBolt11(invoice);
      const { send } = await w.send(quote.amount.add(quote.fee_reserve), proofs, { includeFees: true });
      // Inputs of the keyset the rotation above made: 0.5 sat each, rounded up.
      const inputFee = Math.ceil(send.length / 2);
      const preview = await w.prepareMelt('bolt11', quote, send);
      const pending = await w.completeMelt(preview, undefined, { preferAsync: true });
      expect(pending.quote.state).toBe('PENDING');
      expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'PENDING'));
      expect((await post(`${m.url}/v1/swap`, { inputs: wire(send), outputs: rawOutputs(await activeKeyset(), splitAmount(BigInt(sum(send) - inputFee)).map(Number)) })).body.code).toBe(11002);
      expect((await post(`${m.url}/v1/melt/bolt11`, { quote: quote.quote, inputs: wire(send) })).body.code).toBe(20005);
      await ledgerIsClean();
      release();
      let q = await w.checkMeltQuoteBolt11(quote.quote);
      while (q.state !== 'PAID') q = await w.checkMeltQuoteBolt11(quote.quote);
      expect(q.payment_preimage).toMatch(/^[0-9a-f]{64}$/);
      const change = w.createMeltChangeProofs(preview.outputData, q.change ?? []);
      expect(sum(send) - sum(change)).toBe(102 + inputFee);
      expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'SPENT'));
      await ledgerIsClean();
    } finally {
      m.node.faults.beforeSend = undefined;
      release();
    }
  });

  it('releases the inputs when the payment fails, and only then', async () => {
    const { w, proofs } = await mintProofs(300);
    m.node.faults.failPayments = 'no_route';
    try {
      const quote = await w.createMeltQuoteBolt11(await m.externalInvoice(50_000n));
      const { send } = await w.send(quote.amount.add(quote.fee_reserve), proofs, { includeFees: true });
      const r = await post(`${m.url}/v1/melt/bolt11`, { quote: quote.quote, inputs: wire(send), outputs: rawOutputs(await activeKeyset(), [0, 0]) });
      expect(r.body).toMatchObject({ state: 'UNPAID' });
      expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'UNSPENT'));
      await ledgerIsClean();
      m.node.faults.failPayments = undefined;
      // The same quote again, with the same inputs: now it pays.
      const again = await post(`${m.url}/v1/melt/bolt11`, { quote: quote.quote, inputs: wire(send), outputs: rawOutputs(await activeKeyset(), [0, 0, 0]) });
      expect(again.body).toMatchObject({ state: 'PAID' });
      expect((await w.checkProofsStates(send)).map((s) => s.state)).toEqual(send.map(() => 'SPENT'));
      await ledgerIsClean();
    } finally {
      m.node.faults.failPayments = undefined;
    }
  });

  it('pays an invoice of this service inside the ledger', async () => {
    const { w, proofs } = await mintProofs(100);
    const other = await wallet();
    const target = await other.createMintQuoteBolt11(60);
    const quote = await w.createMeltQuoteBolt11(target.request);
    expect(Number(quote.fee_reserve)).toBe(0);
    const { send } = await w.send(60, proofs, { includeFees: true });
    const melted = await w.meltProofsBolt11(quote, send);
    expect(melted.quote.state).toBe('PAID');
    expect((await other.checkMintQuoteBolt11(target.quote)).state).toBe(MintQuoteState.PAID);
    expect(sum(await other.mintProofsBolt11(60, target.quote))).toBe(60);
    // No Lightning payment left the node for it.
    expect((await m.ctx.sql`select count(*)::int as n from transactions t join melt_quotes q on q.payment_hash = t.payment_hash
      where q.id = ${quote.quote} and t.direction = 'outgoing'`)[0]!.n).toBe(0);
    await ledgerIsClean();
  });
});

describe('cached responses (NUT-19)', () => {
  it('answers a repeated swap with the first answer, and a changed one with 11001', async () => {
    const { proofs } = await mintProofs(8);
    // One input of the keyset the rotation above made: a fee of 1.
    const body = { inputs: wire(proofs), outputs: rawOutputs(await activeKeyset(), [4, 2, 1]) };
    const first = await post(`${m.url}/v1/swap`, body);
    expect(first.status).toBe(200);
    expect(await post(`${m.url}/v1/swap`, body)).toEqual(first);
    expect((await post(`${m.url}/v1/swap`, { ...body, outputs: rawOutputs(await activeKeyset(), [4, 2, 1]) })).body.code).toBe(11001);
  });
});

describe('state and restore', () => {
  it('NUT-07 reads unspent for unknown Ys; NUT-09 returns only outputs signed before', async () => {
    const keyset = await activeKeyset();
    const r = await post(`${m.url}/v1/checkstate`, { Ys: [pointHex(secretY('never seen'))] });
    expect(r.body).toMatchObject({ states: [{ state: 'UNSPENT', witness: null }] });
    const { proofs } = await mintProofs(4);
    // One input of a keyset charging 0.5 sat per input (the rotation above): a fee of 1.
    const outputs = rawOutputs(keyset, [2, 1]);
    expect((await post(`${m.url}/v1/swap`, { inputs: wire(proofs), outputs })).status).toBe(200);
    const restored = await post(`${m.url}/v1/restore`, { outputs: [...outputs, ...rawOutputs(keyset, [1])] });
    expect(restored.body.outputs).toEqual(outputs);
    expect((restored.body.signatures as unknown[]).length).toBe(2);
  });
});
