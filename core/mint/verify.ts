// Checks shared by swap (NUT-03), mint (NUT-04) and melt (NUT-05): inputs (keyset, signature,
// spending conditions), outputs (active keyset, amounts), and signing outputs with DLEQ.
import type { Config } from '../config.ts';
import { MintError } from './errors.ts';
import type { Keyset, MintKeys } from './keys.ts';
import { pointFromHex, pointHex, secretY, signBlinded, verifyProof } from './nut00.ts';
import { inputFee } from './nut02.ts';
import { checkSpendingConditions } from './nut10.ts';
import { proveDleq } from './nut12.ts';
import type { BlindedMessage, BlindSignature, Proof } from './schemas.ts';

/** A verified input as mint_spend records it. */
export interface Spend { y: string; id: string; amount: string; secret: string; c: string; witness: string | null }

export interface VerifiedInputs { spends: Spend[]; total: bigint; fee: bigint; unit: string }

const pointOf = (hex: string) => {
  try {
    return pointFromHex(hex);
  } catch {
    throw new MintError(10001, 'not a point on the curve');
  }
};

function keysetOf(keys: MintKeys, id: string): Keyset {
  const k = keys.get(id) ?? [...keys.byId.values()].find((s) => id.length === 16 && s.id.startsWith(id));
  if (!k) throw new MintError(12001, id);
  return k;
}

/**
 * Inputs: at most MINT_MAX_INPUTS, distinct (by Y), of known keysets of one unit, each signed by
 * its keyset's key for its amount and meeting its spending conditions (`outputs` and a melt's
 * `quoteId`: what SIG_ALL signs).
 */
export function verifyInputs(config: Config, keys: MintKeys, inputs: Proof[], outputs: BlindedMessage[], quoteId?: string): VerifiedInputs {
  if (inputs.length > config.MINT_MAX_INPUTS) throw new MintError(11014, `at most ${config.MINT_MAX_INPUTS}`);
  const seen = new Set<string>();
  const units = new Set<string>();
  const spends: Spend[] = [];
  const fees: number[] = [];
  let total = 0n;
  for (const p of inputs) {
    const keyset = keysetOf(keys, p.id);
    units.add(keyset.unit);
    const Y = secretY(p.secret);
    const y = pointHex(Y);
    if (seen.has(y)) throw new MintError(11007);
    seen.add(y);
    const k = keyset.privateKey(BigInt(p.amount));
    if (k === undefined || !verifyProof(k, p.secret, pointOf(p.C))) throw new MintError(10001);
    total += BigInt(p.amount);
    fees.push(keyset.inputFeePpk);
    spends.push({ y, id: keyset.id, amount: String(p.amount), secret: p.secret, c: p.C, witness: p.witness === undefined ? null : typeof p.witness === 'string' ? p.witness : JSON.stringify(p.witness) });
  }
  if (units.size > 1) throw new MintError(11009);
  checkSpendingConditions(inputs, outputs, quoteId);
  return { spends, total, fee: inputFee(fees), unit: [...units][0]! };
}

export interface VerifiedOutputs { total: bigint; unit: string | undefined }

/**
 * Outputs: at most MINT_MAX_OUTPUTS, distinct B_, of active keysets of one unit, amounts the
 * keyset has (`blank`: a melt's change outputs, whose amounts the mint sets).
 */
export function verifyOutputs(config: Config, keys: MintKeys, outputs: BlindedMessage[], blank = false): VerifiedOutputs {
  if (outputs.length > config.MINT_MAX_OUTPUTS) throw new MintError(11015, `at most ${config.MINT_MAX_OUTPUTS}`);
  const seen = new Set<string>();
  const units = new Set<string>();
  let total = 0n;
  for (const o of outputs) {
    const keyset = keysetOf(keys, o.id);
    if (!keyset.active) throw new MintError(12002, o.id);
    if (seen.has(o.B_)) throw new MintError(11008);
    seen.add(o.B_);
    if (!blank && !keyset.publicKey(BigInt(o.amount))) throw new MintError(11006, `no key for amount ${o.amount}`);
    pointOf(o.B_);
    units.add(keyset.unit);
    total += BigInt(o.amount);
  }
  if (units.size > 1) throw new MintError(11009);
  return { total, unit: [...units][0] };
}

/** An output signed, as mint_sign records it and the wallet receives it (with its DLEQ proof). */
export interface Signed { row: { b_: string; id: string; amount: string; c_: string; e: string; s: string }; signature: BlindSignature }

export function signOutputs(keys: MintKeys, outputs: BlindedMessage[]): Signed[] {
  return outputs.map((o) => {
    const keyset = keysetOf(keys, o.id);
    const amount = BigInt(o.amount);
    const k = keyset.privateKey(amount)!;
    const B_ = pointOf(o.B_);
    const C_ = signBlinded(k, B_);
    const dleq = proveDleq(k, keyset.publicKey(amount)!, B_, C_);
    const c_ = pointHex(C_);
    return { row: { b_: o.B_, id: keyset.id, amount: amount.toString(), c_, e: dleq.e, s: dleq.s }, signature: { amount: o.amount, id: keyset.id, C_: c_, dleq } };
  });
}
