// Zaps paid from a user's account (the DM bot's `zap`): signed with the user's own key when
// the user handed it to us (custodial signing), otherwise anonymous (a throwaway key and the
// `anon` tag).
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import type { Context } from '../context.ts';
import type { SealedColumn } from '../secrets.ts';
import * as accounts from '../ledger/accounts.ts';
import { ownZapRelays } from '../addresses/addresses.ts';
import { finalizeEvent } from '../nostr/secp.ts';
import { routeOf, routingDeps, type RoutingDeps } from '../routing/route.ts';
import { ZapError } from './errors.ts';
import { pointerOf, type ZapPointer } from './pointers.ts';
import { sendZap, type ZapOutcome } from './send.ts';

const sealPurpose = (pubkey: string) => `zap-signer:${pubkey}`;
export const zapSignerKeys: SealedColumn = { table: 'zap_signers', column: 'sealed_key', by: 'pubkey', context: sealPurpose };

/** Turns custodial signing on (with the user's own secret key, which must match) or off (null). */
export async function setCustodialSigning(ctx: Context, pubkey: string, secretKey: Uint8Array | null): Promise<void> {
  if (secretKey === null) {
    await ctx.sql`delete from zap_signers where pubkey = ${pubkey}`;
    return;
  }
  if (getPublicKey(secretKey) !== pubkey) throw new ZapError('wrong_key', 'that secret key does not belong to your public key');
  const sealed = ctx.keyring.seal(secretKey, sealPurpose(pubkey));
  await ctx.sql`insert into zap_signers (pubkey, sealed_key) values (${pubkey}, ${sealed})
    on conflict (pubkey) do update set sealed_key = excluded.sealed_key`;
}

async function custodialKey(ctx: Context, pubkey: string): Promise<Uint8Array | undefined> {
  const [row] = await ctx.sql<{ sealed_key: string }[]>`select sealed_key from zap_signers where pubkey = ${pubkey}`;
  return row && ctx.keyring.open(row.sealed_key, sealPurpose(pubkey));
}

export interface UserZap {
  userPubkey: string;
  /** As parsed (a NIP-19 pointer), or as typed (npub, nprofile, note, nevent, naddr). */
  target: ZapPointer | string;
  amountMsat: bigint;
  comment?: string;
  /** The DM's event id makes a natural key: the same DM processed twice pays once. */
  idempotencyKey: string;
}

/** `zap <target> <amount> [comment]` from a user's account. */
export async function zapFromUser(ctx: Context, z: UserZap, given?: RoutingDeps): Promise<ZapOutcome & { recipient: string }> {
  const deps = given ?? routingDeps(ctx);
  try {
    const pointer = typeof z.target === 'string' ? pointerOf(z.target) : z.target;
    let recipient = pointer.recipient;
    let kind = pointer.kind;
    if (pointer.eventId && (!recipient || kind === undefined)) {
      const event = await deps.profiles.event(pointer.eventId, pointer.relays);
      if (!event && !recipient) throw new ZapError('event_not_found', 'could not find that event to learn its author');
      recipient ??= event?.pubkey;
      kind ??= event?.kind;
    }
    const account = await accounts.forPubkey(ctx.sql, z.userPubkey);
    const key = await custodialKey(ctx, z.userPubkey);
    const route = await routeOf(ctx, deps, { type: 'pubkey', pubkey: recipient! });
    const outcome = await sendZap(ctx, deps, {
      payerAccountId: account.id, idempotencyKey: `zap:${z.idempotencyKey}`, route, amountMsat: z.amountMsat, comment: z.comment,
      target: { eventId: pointer.eventId, coordinate: pointer.coordinate, kind }, relays: [...new Set([...ownZapRelays(ctx.config), ...pointer.relays])],
      sign: (t) => (key ? finalizeEvent(t, key) : finalizeEvent({ ...t, tags: [...t.tags, ['anon']] }, generateSecretKey())),
      waitMs: 30_000,
    });
    return { ...outcome, recipient: recipient! };
  } finally {
    if (!given) deps.profiles.close();
  }
}
