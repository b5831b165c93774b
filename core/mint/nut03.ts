// NUT-03 swap: inputs spent and outputs signed in one statement (mint_swap), so a proof is
// spent once however many swaps race for it (unique Y), and the input fee goes to `fees`.
import type { Context } from '../context.ts';
import { callMint, json } from './db.ts';
import { MintError } from './errors.ts';
import { mintKeys } from './keys.ts';
import { parse, swapRequest, type BlindSignature } from './schemas.ts';
import { signOutputs, verifyInputs, verifyOutputs } from './verify.ts';

export async function swap(ctx: Context, body: unknown): Promise<{ signatures: BlindSignature[] }> {
  const req = parse(swapRequest, body);
  const keys = await mintKeys(ctx);
  const outputs = verifyOutputs(ctx.config, keys, req.outputs);
  const inputs = verifyInputs(ctx.config, keys, req.inputs, req.outputs);
  if (outputs.unit !== inputs.unit) throw new MintError(11010);
  if (inputs.total - inputs.fee !== outputs.total) {
    throw new MintError(11005, `inputs ${inputs.total} − fee ${inputs.fee} ≠ outputs ${outputs.total}`);
  }
  const signed = signOutputs(keys, req.outputs);
  await callMint(() => ctx.sql`select mint_swap(${json(ctx.sql, inputs.spends)}, ${json(ctx.sql, signed.map((s) => s.row))}, ${inputs.fee * 1000n})`);
  return { signatures: signed.map((s) => s.signature) };
}
