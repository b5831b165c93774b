// The mint's keysets: public keys in `mint_keysets`, private keys derived in memory from a
// seed sealed with the master key (`secrets`, name `mint.seed`). No private key is stored,
// logged or put in an error.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Context } from '../context.ts';
import { isUniqueViolation, type Sql } from '../db.ts';
import { baseMul, CURVE_ORDER, pointFromHex, pointHex, type Point as P } from './nut00.ts';
import { keysetIdV2, type PublicKeys } from './nut02.ts';

/** Amounts 2^0 … 2^50: every amount a JSON number holds exactly, more than all bitcoin in sats. */
export const AMOUNTS: readonly bigint[] = Array.from({ length: 51 }, (_, i) => 1n << BigInt(i));
export const UNIT = 'sat';
const SEED = 'mint.seed';

export interface Keyset {
  id: string;
  unit: string;
  active: boolean;
  inputFeePpk: number;
  /** amount → public key hex, as NUT-01 serves it. */
  keys: PublicKeys;
  publicKey(amount: bigint): P | undefined;
  privateKey(amount: bigint): bigint | undefined;
}

interface Row { id: string; unit: string; derivation: number; active: boolean; input_fee_ppk: number; keys: PublicKeys }

/** k = HMAC-SHA256(seed, "flash-mint:<derivation>:<amount>") reduced into [1, n−1]. */
function derive(seed: Uint8Array, derivation: number, amount: bigint): bigint {
  const h = BigInt(`0x${bytesToHex(hmac(sha256, seed, utf8ToBytes(`flash-mint:${derivation}:${amount}`)))}`);
  return (h % (CURVE_ORDER - 1n)) + 1n;
}

function keysetOf(seed: Uint8Array, row: Row): Keyset {
  const priv = new Map(AMOUNTS.map((a) => [a, derive(seed, row.derivation, a)]));
  const pub = new Map(Object.entries(row.keys).map(([a, hex]) => [BigInt(a), pointFromHex(hex)]));
  return {
    id: row.id, unit: row.unit, active: row.active, inputFeePpk: row.input_fee_ppk, keys: row.keys,
    publicKey: (a) => pub.get(a),
    privateKey: (a) => (pub.has(a) ? priv.get(a) : undefined),
  };
}

function newRow(seed: Uint8Array, derivation: number, inputFeePpk: number): Row {
  const keys = Object.fromEntries(AMOUNTS.map((a) => [a.toString(), pointHex(baseMul(derive(seed, derivation, a)))]));
  return { id: keysetIdV2(keys, UNIT, inputFeePpk), unit: UNIT, derivation, active: true, input_fee_ppk: inputFeePpk, keys };
}

async function insertKeyset(sql: Sql, row: Row): Promise<void> {
  await sql`insert into mint_keysets (id, unit, derivation, active, input_fee_ppk, keys)
    values (${row.id}, ${row.unit}, ${row.derivation}, true, ${row.input_fee_ppk}, ${sql.json(row.keys as never)})`;
}

/** Every keyset, by id; reloaded at most every few seconds so a rotation reaches every process. */
export class MintKeys {
  readonly byId: Map<string, Keyset>;
  readonly loadedAt = Date.now();
  constructor(keysets: Keyset[]) {
    this.byId = new Map(keysets.map((k) => [k.id, k]));
  }

  get(id: string): Keyset | undefined {
    return this.byId.get(id);
  }

  active(unit = UNIT): Keyset {
    const k = [...this.byId.values()].find((s) => s.active && s.unit === unit);
    if (!k) throw new Error(`no active ${unit} keyset`);
    return k;
  }
}

const seeds = new WeakMap<Context, Promise<Uint8Array>>();
const loaded = new WeakMap<Context, Promise<MintKeys>>();
const RELOAD_MS = 5000;

async function load(ctx: Context): Promise<MintKeys> {
  let seed = seeds.get(ctx);
  if (!seed) seeds.set(ctx, seed = ctx.secrets.getOrCreate(SEED, () => randomBytes(32)));
  const s = await seed;
  let rows = await ctx.sql<Row[]>`select * from mint_keysets order by derivation`;
  if (!rows.some((r) => r.active && r.unit === UNIT)) {
    // First start: the first keyset. Racing first starts agree on one (the active index).
    try {
      await insertKeyset(ctx.sql, newRow(s, rows.length ? Math.max(...rows.map((r) => r.derivation)) + 1 : 0, ctx.config.MINT_INPUT_FEE_PPK));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    rows = await ctx.sql<Row[]>`select * from mint_keysets order by derivation`;
  }
  return new MintKeys(rows.map((r) => keysetOf(s, r)));
}

/** The keysets (cached per context; `fresh` reloads, e.g. for an id not seen yet). */
export async function mintKeys(ctx: Context, fresh = false): Promise<MintKeys> {
  const cached = loaded.get(ctx);
  if (cached && !fresh) {
    const k = await cached.catch(() => undefined);
    if (k && Date.now() - k.loadedAt < RELOAD_MS) return k;
  }
  const next = load(ctx);
  loaded.set(ctx, next);
  return next;
}

/** `flash mint rotate`: a new active keyset (with `inputFeePpk`), the old one inactive. */
export async function rotateKeyset(ctx: Context, inputFeePpk = ctx.config.MINT_INPUT_FEE_PPK): Promise<{ id: string; retired: string[] }> {
  await mintKeys(ctx, true);
  const s = await seeds.get(ctx)!;
  const result = await ctx.sql.begin(async (tx) => {
    await tx`lock table mint_keysets in exclusive mode`;
    const retired = await tx<{ id: string }[]>`update mint_keysets set active = false where active and unit = ${UNIT} returning id`;
    const [{ next }] = await tx<[{ next: number }]>`select coalesce(max(derivation), -1) + 1 as next from mint_keysets`;
    const row = newRow(s, next, inputFeePpk);
    await insertKeyset(tx as unknown as Sql, row);
    return { id: row.id, retired: retired.map((r) => r.id) };
  });
  await mintKeys(ctx, true);
  return result;
}
