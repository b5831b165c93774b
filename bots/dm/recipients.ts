// Who `send` pays. The zaps service's routing decides where a recipient is paid (our username,
// NIP-05 name@domain → pubkey, an npub's kind-0 lud16); the DM bot adds its rule: anyone with
// an account here is paid by an internal transfer, anyone else through LNURL-pay, and an npub
// with neither an account nor a lightning address cannot be paid. An npub whose account the
// bot knows already (they wrote to it) is paid without asking anything.
import * as accounts from '../../core/ledger/accounts.ts';
import { LnurlError } from '../../core/lnurl.ts';
import { routeOf, ZapError } from '../zaps/send.ts';
import type { Recipient } from './commands.ts';
import type { DmDeps } from './session.ts';

export type Resolved =
  | { type: 'account'; accountId: string; label: string }
  | { type: 'lnurl'; target: string; label: string }
  | { type: 'no-account'; label: string }
  | { type: 'not-found'; label: string };

export async function resolveRecipient(d: DmDeps, to: Recipient): Promise<Resolved> {
  const label = to.type === 'pubkey' ? d.labelOf(to.pubkey) : to.address;
  const known = to.type === 'pubkey' ? d.accounts.known(to.pubkey) : undefined;
  if (known) return { type: 'account', accountId: known, label };
  let route;
  try {
    route = await routeOf(d.ctx, d.zaps, to.type === 'pubkey' ? { pubkey: to.pubkey } : { address: to.address });
  } catch (err) {
    if (err instanceof ZapError || err instanceof LnurlError) return { type: 'not-found', label };
    throw err;
  }
  // A pubkey's route names its account when it has one (routeOf looked it up); only an
  // address's owner is still to be looked up.
  const accountId = route.route === 'internal' && route.accountId
    ? route.accountId
    : to.type === 'address' && route.pubkey ? (await accounts.findByPubkey(d.ctx.sql, route.pubkey))?.id : undefined;
  if (accountId) return { type: 'account', accountId, label };
  return route.route === 'external' ? { type: 'lnurl', target: route.target, label } : { type: 'no-account', label };
}
