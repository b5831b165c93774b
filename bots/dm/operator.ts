// Operator commands over DM, for OPERATOR_NPUBS only (checked by the DM's verified sender),
// typically answering an alert: `freeze <npub|account id> [reason]`, `unfreeze <…> [reason]`,
// `pause [reason]`, `resume [reason]`. In English; each action is audited under the operator's
// npub. Anything else, and any DM from someone else, is an ordinary wallet command.
import { npubEncode } from 'nostr-tools/nip19';
import * as accounts from '../../core/ledger/accounts.ts';
import { KeyError, parsePubkey } from '../../core/nostr/keys.ts';
import { freeze, unfreeze } from '../../core/risk/accounts.ts';
import type { Actor } from '../../core/risk/audit.ts';
import { pause, resume } from '../../core/risk/state.ts';
import { operatorPubkeys } from './alerts.ts';
import type { DmDeps } from './session.ts';

const COMMAND = /^\s*(freeze|unfreeze|pause|resume)\b\s*(.*)$/is;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const operatorsOf = new WeakMap<object, Set<string>>();

/** The reply to an operator's command, or undefined when this DM is not one. */
export async function operatorCommand(d: DmDeps, sender: string, text: string): Promise<string | undefined> {
  const m = COMMAND.exec(text);
  if (!m) return undefined;
  let operators = operatorsOf.get(d.ctx.config);
  if (!operators) operatorsOf.set(d.ctx.config, operators = operatorPubkeys(d.ctx.config.OPERATOR_NPUBS));
  if (!operators.has(sender)) return undefined;
  const verb = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  const actor: Actor = { who: npubEncode(sender), via: 'dm' };
  if (verb === 'pause') return await pause(d.ctx.sql, actor, rest || 'paused by an operator over DM') ? 'Outgoing payments paused.' : 'Outgoing payments were paused already.';
  if (verb === 'resume') return await resume(d.ctx.sql, actor, rest || null) ? 'Outgoing payments resumed.' : 'Outgoing payments were not paused.';
  const [who = '', ...why] = rest.split(/\s+/);
  let accountId: string;
  try {
    accountId = UUID.test(who) ? (await accounts.get(d.ctx.sql, who.toLowerCase()))?.id ?? '' : (await accounts.forPubkey(d.ctx.sql, parsePubkey(who))).id;
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    accountId = '';
  }
  if (!accountId) return `Usage: ${verb} <npub or account id> [reason]`;
  const reason = why.join(' ') || null;
  if (verb === 'freeze') await freeze(d.ctx.sql, actor, accountId, reason ?? 'frozen by an operator over DM');
  else await unfreeze(d.ctx.sql, actor, accountId, reason);
  return `Account ${accountId} ${verb === 'freeze' ? 'frozen: it can receive but not send' : 'unfrozen'}.`;
}
