// NUT-10 spending conditions: a secret of the form [kind, {nonce, data, tags}] locks a proof.
// Kinds this mint does not check are refused, never spent unchecked.
import { MintError } from './errors.ts';
import type { BlindedMessage, Proof } from './schemas.ts';

export interface WellKnownSecret { kind: string; nonce: string; data: string; tags: string[][] }

/** The NUT-10 secret in `secret`, or undefined for a plain (random) secret. */
export function parseSecret(secret: string): WellKnownSecret | undefined {
  if (!secret.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(secret);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'object' || v[1] === null) return undefined;
  const body = v[1] as Record<string, unknown>;
  const tags = Array.isArray(body.tags) ? body.tags.filter((t): t is string[] => Array.isArray(t) && t.every((x) => typeof x === 'string')) : [];
  if (typeof body.data !== 'string' || typeof body.nonce !== 'string') throw new MintError(10001, 'malformed spending condition');
  return { kind: v[0], nonce: body.nonce, data: body.data, tags };
}

export function checkSpendingConditions(p: Proof, _inputs: Proof[], _outputs: BlindedMessage[]): void {
  const secret = parseSecret(p.secret);
  if (!secret) return;
  throw new MintError(10001, `spending condition ${secret.kind} is not supported`);
}
