// The wire shapes of NUT-00 objects and the mint's requests, checked at the boundary (zod).
import { z } from 'zod';
import { MintRequestError } from './errors.ts';
import { issuesText } from '../errors.ts';

const point = z.string().regex(/^0[23][0-9a-f]{64}$/, 'must be a compressed public key in hex');
const keysetId = z.string().regex(/^0[01][0-9a-f]{14}([0-9a-f]{50})?$/, 'must be a keyset id');
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const proof = z.object({
  amount,
  id: keysetId,
  secret: z.string().min(1).max(1024),
  C: point,
  witness: z.union([z.string().max(8192), z.record(z.string(), z.unknown())]).optional(),
  dleq: z.unknown().optional(),
});
export type Proof = z.infer<typeof proof>;

export const blindedMessage = z.object({ amount, id: keysetId, B_: point, witness: z.unknown().optional() });
/** NUT-08: a blank output for a melt's change; its amount (usually 0) is the mint's to choose. */
const blankOutput = blindedMessage.extend({ amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
export type BlindedMessage = z.infer<typeof blindedMessage>;

export interface BlindSignature { amount: number; id: string; C_: string; dleq?: { e: string; s: string } }

// Array lengths are capped generously here; the configured maxima answer 11014/11015.
const inputs = z.array(proof).min(1).max(10_000);
const outputs = z.array(blindedMessage).max(10_000);

export const swapRequest = z.object({ inputs, outputs: outputs.min(1) });
export const mintQuoteRequest = z.object({
  amount, unit: z.string().max(16), description: z.string().max(639).optional(), pubkey: point.optional(),
});
export const mintRequest = z.object({ quote: z.string().max(100), outputs: outputs.min(1), signature: z.string().regex(/^[0-9a-f]{128}$/).optional() });
export const meltQuoteRequest = z.object({
  request: z.string().min(1).max(7100), unit: z.string().max(16), options: z.record(z.string(), z.unknown()).optional(),
});
export const meltRequest = z.object({ quote: z.string().max(100), inputs, outputs: z.array(blankOutput).max(10_000).optional(), prefer_async: z.boolean().optional() });
export const checkStateRequest = z.object({ Ys: z.array(point).min(1).max(10_000) });
export const restoreRequest = z.object({ outputs: z.array(blankOutput).min(1).max(10_000) });

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new MintRequestError(issuesText(r.error, 'request'));
  return r.data;
}
