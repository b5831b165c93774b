// NUT-07 token state check, and NUT-09 restore: read-only lookups by Y and by B_.
import type { Context } from '../context.ts';
import { checkStateRequest, parse, restoreRequest, type BlindedMessage, type BlindSignature } from './schemas.ts';

export type ProofState = 'UNSPENT' | 'PENDING' | 'SPENT';

export async function checkState(ctx: Context, body: unknown): Promise<{ states: Array<{ Y: string; state: ProofState; witness: string | null }> }> {
  const { Ys } = parse(checkStateRequest, body);
  const rows = await ctx.sql<{ y: string; state: 'pending' | 'spent'; witness: string | null }[]>`
    select y, state, witness from mint_proofs where y = any(${ctx.sql.array(Ys)})`;
  const byY = new Map(rows.map((r) => [r.y, r]));
  return {
    states: Ys.map((Y) => {
      const r = byY.get(Y);
      return { Y, state: !r ? 'UNSPENT' : r.state === 'spent' ? 'SPENT' : 'PENDING', witness: r?.witness ?? null };
    }),
  };
}

/** NUT-09: the signatures given earlier for these outputs (those never signed are left out). */
export async function restore(ctx: Context, body: unknown): Promise<{ outputs: BlindedMessage[]; signatures: BlindSignature[] }> {
  const { outputs } = parse(restoreRequest, body);
  const rows = await ctx.sql<{ b_: string; keyset_id: string; amount: bigint; c_: string; dleq_e: string; dleq_s: string }[]>`
    select b_, keyset_id, amount, c_, dleq_e, dleq_s from mint_signatures where b_ = any(${ctx.sql.array(outputs.map((o) => o.B_))}) and c_ is not null`;
  const byB = new Map(rows.map((r) => [r.b_, r]));
  const found = outputs.filter((o) => byB.has(o.B_));
  return {
    outputs: found.map((o) => ({ amount: Number(byB.get(o.B_)!.amount), id: byB.get(o.B_)!.keyset_id, B_: o.B_ })),
    signatures: found.map((o) => {
      const r = byB.get(o.B_)!;
      return { amount: Number(r.amount), id: r.keyset_id, C_: r.c_, dleq: { e: r.dleq_e, s: r.dleq_s } };
    }),
  };
}
