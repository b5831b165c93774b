// NUT-10 spending conditions, with NUT-11 (P2PK: signatures, multisig, locktime and refund keys,
// SIG_INPUTS and SIG_ALL) and NUT-14 (HTLC: a hash lock on top of the same rules). A secret of
// the form [kind, {nonce, data, tags}] locks a proof; kinds this mint does not check are
// refused, never spent unchecked. Every failure is 10001 with what was wrong.
import { createHash } from 'node:crypto';
import schnorr from 'bcrypto/lib/schnorr.js';
import { MintError } from './errors.ts';
import type { BlindedMessage, Proof } from './schemas.ts';

export interface WellKnownSecret { kind: string; nonce: string; data: string; tags: string[][] }

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const refuse = (why: string): never => { throw new MintError(10001, why); };

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
  if (typeof body.data !== 'string' || typeof body.nonce !== 'string') return refuse('malformed spending condition');
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => Array.isArray(t) && t.length >= 1 && t.every((x) => typeof x === 'string'))) {
    return refuse('malformed spending condition tags');
  }
  return { kind: v[0], nonce: body.nonce, data: body.data, tags: tags as string[][] };
}

interface Conditions {
  sigflag: 'SIG_INPUTS' | 'SIG_ALL';
  /** Keys whose signatures count on the main path, and how many must sign. */
  keys: string[]; nSigs: number;
  locktime?: number;
  refund: string[]; nSigsRefund: number;
  /** HTLC: the hash the preimage must match. */
  hash?: string;
}

const xOnly = (key: string) => {
  if (!/^0[23][0-9a-fA-F]{64}$/.test(key)) refuse(`not a compressed public key: ${key.slice(0, 70)}`);
  return key.slice(2).toLowerCase();
};

function distinctKeys(keys: string[]): string[] {
  const x = keys.map(xOnly);
  if (new Set(x).size !== x.length) refuse('a key appears twice in one pathway');
  return x;
}

function conditionsOf(s: WellKnownSecret): Conditions {
  const seen = new Set<string>();
  const tag = (name: string): string[] | undefined => s.tags.find((t) => t[0] === name)?.slice(1);
  for (const t of s.tags) {
    if (seen.has(t[0]!)) refuse(`tag ${t[0]} appears twice`);
    seen.add(t[0]!);
  }
  const sigflag = tag('sigflag')?.[0] ?? 'SIG_INPUTS';
  if (sigflag !== 'SIG_INPUTS' && sigflag !== 'SIG_ALL') return refuse(`unknown sigflag ${sigflag}`);
  const pubkeys = tag('pubkeys') ?? [];
  let hash: string | undefined;
  let keys: string[];
  if (s.kind === 'P2PK') {
    keys = distinctKeys([s.data, ...pubkeys]);
  } else {
    if (!/^[0-9a-f]{64}$/i.test(s.data)) refuse('the HTLC hash must be 32 bytes of hex');
    hash = s.data.toLowerCase();
    keys = distinctKeys(pubkeys);
  }
  const count = (name: string, max: number): number => {
    const v = tag(name)?.[0];
    if (v === undefined) return 1;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > Math.max(max, 1)) refuse(`${name} must be between 1 and the number of keys`);
    return n;
  };
  const refund = distinctKeys(tag('refund') ?? []);
  const lt = Number(tag('locktime')?.[0]);
  return {
    sigflag, keys, nSigs: count('n_sigs', keys.length), refund, nSigsRefund: count('n_sigs_refund', refund.length), hash,
    locktime: Number.isInteger(lt) && lt > 0 ? lt : undefined,
  };
}

interface Witness { signatures: string[]; preimage?: string }

function witnessOf(p: Proof): Witness {
  let w: unknown = p.witness;
  if (typeof w === 'string') {
    try {
      w = JSON.parse(w);
    } catch {
      return refuse('the witness is not JSON');
    }
  }
  if (w === undefined || w === null) return { signatures: [] };
  const o = w as { signatures?: unknown; preimage?: unknown };
  const signatures = Array.isArray(o.signatures) ? o.signatures.filter((x): x is string => typeof x === 'string' && /^[0-9a-f]{128}$/i.test(x)) : [];
  return { signatures, preimage: typeof o.preimage === 'string' ? o.preimage : undefined };
}

/** How many of `keys` (x-only hex) signed sha256(msg) among `signatures`; each key counts once. */
function signers(keys: string[], signatures: string[], msg: string): number {
  const digest = sha256(Buffer.from(msg, 'utf8'));
  return keys.filter((k) => signatures.some((sig) => {
    try {
      return schnorr.verify(digest, Buffer.from(sig, 'hex'), Buffer.from(k, 'hex'));
    } catch {
      return false;
    }
  })).length;
}

/** Whether a witness unlocks conditions for message `msg` at time `now` (unix seconds). */
function unlocks(c: Conditions, w: Witness, msg: string, now: number): boolean {
  const expired = c.locktime !== undefined && now > c.locktime;
  // Main path: the preimage (HTLC) and n_sigs of the keys (none needed by an HTLC without pubkeys).
  const preimageOk = c.hash === undefined
    || (w.preimage !== undefined && /^[0-9a-f]{64}$/i.test(w.preimage) && sha256(Buffer.from(w.preimage, 'hex')).toString('hex') === c.hash);
  const needed = c.hash !== undefined && c.keys.length === 0 ? 0 : c.nSigs;
  if (preimageOk && (needed === 0 || signers(c.keys, w.signatures, msg) >= needed)) return true;
  if (!expired) return false;
  // After the locktime: anyone without refund keys, else n_sigs_refund of them.
  if (c.refund.length === 0) return true;
  return signers(c.refund, w.signatures, msg) >= c.nSigsRefund;
}

const KINDS = new Set(['P2PK', 'HTLC']);

/** What SIG_ALL signs: secret ‖ C of each input, amount ‖ B_ of each output, then a melt's quote id. */
export function sigAllMessage(inputs: Array<Pick<Proof, 'secret' | 'C'>>, outputs: Array<Pick<BlindedMessage, 'amount' | 'B_'>>, quoteId?: string): string {
  return inputs.map((p) => p.secret + p.C).join('') + outputs.map((o) => `${o.amount}${o.B_}`).join('') + (quoteId ?? '');
}

/**
 * Checks every input's spending conditions: each input alone (SIG_INPUTS), or, when any input
 * is SIG_ALL, all inputs alike and the first one's witness over inputs, outputs (and the melt's
 * quote id).
 */
export function checkSpendingConditions(inputs: Proof[], outputs: BlindedMessage[], quoteId?: string, now = Math.floor(Date.now() / 1000)): void {
  const locked = inputs.map((p) => {
    const s = parseSecret(p.secret);
    if (s && !KINDS.has(s.kind)) refuse(`spending condition ${s.kind} is not supported`);
    return s && { s, c: conditionsOf(s) };
  });
  if (locked.some((l) => l?.c.sigflag === 'SIG_ALL')) {
    const first = locked[0];
    const same = (l: typeof first) => l && first && l.s.kind === first.s.kind && l.s.data === first.s.data && JSON.stringify(l.s.tags) === JSON.stringify(first.s.tags);
    if (!first || !locked.every(same)) refuse('SIG_ALL: every input must carry the same condition');
    const msg = sigAllMessage(inputs, outputs, quoteId);
    if (!unlocks(first!.c, witnessOf(inputs[0]!), msg, now)) refuse('SIG_ALL: the witness does not unlock the inputs');
    return;
  }
  locked.forEach((l, i) => {
    if (l && !unlocks(l.c, witnessOf(inputs[i]!), inputs[i]!.secret, now)) refuse(`input ${i}: the witness does not unlock its ${l.s.kind} condition`);
  });
}
