// The official NUT-11 (and NUT-14 in SIG_ALL) vectors against our spending-condition checks.
import { describe, expect, it } from 'vitest';
import { MintError } from '../../../core/mint/errors.ts';
import { checkSpendingConditions, sigAllMessage } from '../../../core/mint/nut10.ts';
import type { BlindedMessage, Proof } from '../../../core/mint/schemas.ts';
import vectors from './nut11-vectors.json' with { type: 'json' };

type Request = { inputs: Proof[]; outputs: BlindedMessage[]; quote?: string };

function spends(type: string, data: unknown): boolean {
  const req: Request = type === 'proof' ? { inputs: [data as Proof], outputs: [] } : data as Request;
  try {
    checkSpendingConditions(req.inputs, req.outputs, req.quote);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(MintError);
    expect((err as MintError).code).toBe(10001);
    return false;
  }
}

describe('NUT-11 vectors', () => {
  it.each(vectors.cases.map((c) => [c.name, c.type, c.valid, c.data] as const))('%s', (_name, type, valid, data) => {
    expect(spends(type, data)).toBe(valid);
  });

  it('SIG_ALL messages of a swap and of a melt', () => {
    for (const { request, msg } of vectors.messages) {
      const r = request as Request;
      expect(sigAllMessage(r.inputs, r.outputs, r.quote)).toBe(msg);
    }
  });

  it('a valid SIG_ALL swap fails once an output is changed', () => {
    const swap = structuredClone(vectors.cases.find((c) => c.name === 'SIG_ALL valid')!.data) as Request;
    swap.outputs[0]!.amount += 1;
    expect(spends('swap', swap)).toBe(false);
  });
});
