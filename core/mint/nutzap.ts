// NIP-61 nutzaps in: a holder asks for a P2PK key (`nutzap` in the DM bot), names it in their
// kind 10019, and nutzaps (kind 9321) of our mint locked to it are redeemed into their balance,
// once each (mint_nutzaps, keyed by the event id, written in the redeeming transaction).
import { createHash, randomBytes } from 'node:crypto';
import schnorr from 'bcrypto/lib/schnorr.js';
import type { NostrEvent } from 'nostr-tools/pure';
import type { Context } from '../context.ts';
import { isUniqueViolation } from '../db.ts';
import * as accounts from '../ledger/accounts.ts';
import { mintUrl } from './ecash.ts';
import { MintError } from './errors.ts';
import { parseSecret } from './nut10.ts';
import { creditProofs, type Redeemed } from './redeem.ts';

export const NUTZAP_KIND = 9321;
export const NUTZAP_INFO_KIND = 10019;
const SEAL = 'mint:nutzap-key';

/** The holder's nutzap key (02 ‖ x-only), made on first use; racing first uses agree on one. */
export async function nutzapKey(ctx: Context, accountId: string): Promise<string> {
  const secret = randomBytes(32);
  const pubkey = `02${schnorr.publicKeyCreate(secret).toString('hex')}`;
  await ctx.sql`insert into mint_nutzap_keys (account_id, pubkey, sealed_key)
    values (${accountId}, ${pubkey}, ${ctx.keyring.seal(secret, SEAL)}) on conflict (account_id) do nothing`;
  const [row] = await ctx.sql<[{ pubkey: string }]>`select pubkey from mint_nutzap_keys where account_id = ${accountId}`;
  return row.pubkey;
}

/** The kind 10019 tags a holder publishes so that senders lock nutzaps to their key here. */
export const nutzapInfoTags = (ctx: Context, pubkey: string, relays: string[]): string[][] =>
  [...relays.map((r) => ['relay', r]), ['mint', mintUrl(ctx), 'sat'], ['pubkey', pubkey]];

export type NutzapOutcome = { status: 'redeemed'; accountId: string; redeemed: Redeemed } | { status: 'ignored' | 'duplicate'; reason: string };

const tag = (e: NostrEvent, name: string) => e.tags.find((t) => t[0] === name)?.[1];

/** Redeems a nutzap event (its signature checked by the relay pool) if it is for a holder here. */
export async function redeemNutzap(ctx: Context, event: NostrEvent): Promise<NutzapOutcome> {
  if (event.kind !== NUTZAP_KIND) return { status: 'ignored', reason: 'not a nutzap' };
  if ((tag(event, 'u') ?? '').replace(/\/+$/, '') !== mintUrl(ctx)) return { status: 'ignored', reason: 'another mint' };
  const recipient = tag(event, 'p');
  const account = recipient && /^[0-9a-f]{64}$/.test(recipient) ? await accounts.findByPubkey(ctx.sql, recipient) : undefined;
  if (!account) return { status: 'ignored', reason: 'no such holder' };
  const [key] = await ctx.sql<{ pubkey: string; sealed_key: string }[]>`select pubkey, sealed_key from mint_nutzap_keys where account_id = ${account.id}`;
  if (!key) return { status: 'ignored', reason: 'the holder has no nutzap key' };
  const secret = Buffer.from(ctx.keyring.open(key.sealed_key, SEAL));
  const proofs: Array<Record<string, unknown>> = [];
  for (const t of event.tags.filter((x) => x[0] === 'proof').slice(0, 100)) {
    let p: { secret?: unknown } & Record<string, unknown>;
    try {
      p = JSON.parse(t[1] ?? '') as typeof p;
    } catch {
      continue;
    }
    const s = typeof p.secret === 'string' ? parseSecret(p.secret) : undefined;
    // Only what is locked to the holder's key is theirs to take.
    if (s?.kind !== 'P2PK' || s.data.slice(2).toLowerCase() !== key.pubkey.slice(2)) continue;
    const sig = schnorr.sign(createHash('sha256').update(p.secret as string).digest(), secret);
    proofs.push({ ...p, witness: JSON.stringify({ signatures: [sig.toString('hex')] }) });
  }
  if (!proofs.length) return { status: 'ignored', reason: 'no proof locked to the holder\'s key' };
  try {
    const redeemed = await creditProofs(ctx, account.id, proofs, {
      memo: event.content.slice(0, 500) || undefined,
      also: (tx) => tx`insert into mint_nutzaps (event_id, account_id, amount_sat)
        values (${event.id}, ${account.id}, ${proofs.reduce((n, p) => n + BigInt(String(p.amount)), 0n)})`,
    });
    return { status: 'redeemed', accountId: account.id, redeemed };
  } catch (err) {
    if (isUniqueViolation(err, 'mint_nutzaps_pkey') || (err instanceof MintError && err.code === 11001)) return { status: 'duplicate', reason: 'redeemed before' };
    throw err;
  }
}
