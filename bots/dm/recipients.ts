// Who `send` pays: a pubkey or name@domain → an account of this service (internal transfer),
// or why not. name@domain is read as NIP-05 first (a Nostr user may have an account here).
import * as accounts from '../../core/ledger/accounts.ts';
import type { Recipient } from './commands.ts';
import { resolveNip05 } from './nip05.ts';
import type { DmDeps } from './session.ts';

export type Resolved =
  | { type: 'account'; accountId: string; pubkey: string; label: string }
  | { type: 'no-account'; label: string }
  | { type: 'not-found'; label: string };

async function byPubkey(d: DmDeps, pubkey: string, label: string): Promise<Resolved> {
  const account = await accounts.findByPubkey(d.ctx.sql, pubkey);
  return account ? { type: 'account', accountId: account.id, pubkey, label } : { type: 'no-account', label };
}

export async function resolveRecipient(d: DmDeps, to: Recipient): Promise<Resolved> {
  if (to.type === 'pubkey') return byPubkey(d, to.pubkey, d.labelOf(to.pubkey));
  const pubkey = await resolveNip05(to.name, to.domain, d.nip05);
  return pubkey ? byPubkey(d, pubkey, to.address) : { type: 'not-found', label: to.address };
}
