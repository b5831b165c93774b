// English: the reference catalog. Its keys and parameter types define every other language's.
import { formatAmount } from '../amount.ts';
import type { PaymentFailureReason } from '../../../core/lightning/types.ts';
import type { BudgetPeriod } from '../commands.ts';

/** Amounts in the English number format. */
const amt = (msat: bigint) => formatAmount(msat, 'en');

export interface HistoryItem { at: number; direction: 'in' | 'out'; msat: bigint; memo?: string; status?: 'pending' | 'failed' }
/** Why the Lightning network refused a payment (the node's failure reasons). */
export type FailureReason = PaymentFailureReason;
export interface ConnectionItem { id: string; app: string; budgetMsat?: bigint; usedMsat: bigint; period?: BudgetPeriod }

/** "2024-05-01 13:45 UTC" from unix seconds: the same in every language. */
export const when = (at: number) => `${new Date(at * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
/** Lines of a list, or nothing. */
export const lines = <T>(items: T[], line: (item: T) => string) => items.map(line).join('\n');

const reasons: Record<FailureReason, string> = {
  no_route: 'no route to the recipient', timeout: 'it timed out', incorrect_payment_details: 'the recipient refused it (unknown or already paid invoice)',
  insufficient_balance: 'not enough liquidity on the way', canceled: 'it was cancelled', error: 'the network reported an error',
};
const period: Record<BudgetPeriod, string> = { daily: 'per day', weekly: 'per week', monthly: 'per month', yearly: 'per year', never: 'in total' };

export const en = {
  'help': () => `Hi! I'm a Bitcoin Lightning wallet that lives in your DMs. Commands:
• balance — what you have
• invoice <amount> [memo] — get a Lightning invoice to receive
• pay <invoice> [amount] — pay a Lightning invoice
• send <amount> <npub | name@domain> [memo] — send sats
• zap <npub | note | nevent | naddr> <amount> [comment]
• history [n] — your last payments
• connect [app] [budget] [period] — link an app (Nostr Wallet Connect)
• connections, revoke <id> — your linked apps
• username <name> — your lightning address
• lang <en | es | ja> — language
Amounts: 1000, 1k, 21 sats, 0.0001 btc. Type "help <command>" for details.`,
  'help.balance': () => 'balance — shows your balance and what is on hold for pending payments.\nExample: balance',
  'help.invoice': () => 'invoice <amount> [memo] — creates a Lightning invoice; the sats land in your balance once paid.\nExamples: invoice 1000 · invoice 21 sats coffee · invoice 0.0001 btc',
  'help.pay': () => 'pay <invoice> [amount] — pays a Lightning invoice. Give an amount only when the invoice has none. Large payments wait for your "yes".\nExample: pay lnbc10u1p…',
  'help.send': () => 'send <amount> <npub | name@domain> [memo] — sends sats to a Nostr user or a lightning address; to a user of this service it is instant. Large amounts wait for your "yes".\nExamples: send 1000 npub1… · send 5k to alice@example.com thanks!',
  'help.history': () => 'history [n] — your last n payments (default 10, at most 100).\nExample: history 20',
  'help.connect': () => 'connect [app] [budget] [daily|weekly|monthly|yearly|never] — links an app such as Damus or Amethyst with Nostr Wallet Connect; it can spend up to the budget per period.\nExamples: connect Damus · connect Amethyst 10k sats weekly',
  'help.connections': () => 'connections — lists your linked apps with their budgets and ids.\nExample: connections',
  'help.revoke': () => 'revoke <id> — unlinks an app at once (see "connections" for ids).\nExample: revoke c1a2b3',
  'help.lang': () => 'lang <en|es|ja> — the language I answer in.\nExample: lang es',
  'help.confirm': () => 'yes / no — confirms or cancels the payment I just asked about.',
  'help.username': () => 'username <name> — picks your lightning address name (3–32 letters, digits, . _ -).\nExample: username alice',
  'help.zap': () => 'zap <npub | note | nevent | naddr> <amount> [comment] — zaps a profile or a post (NIP-57).\nExample: zap note1… 21 great post',

  'balance': (p: { msat: bigint; pendingMsat?: bigint }) =>
    `Balance: ${amt(p.msat)}${p.pendingMsat ? ` (${amt(p.pendingMsat)} on hold for pending payments)` : ''}`,
  'invoice.created': (p: { msat: bigint; memo?: string; bolt11: string }) =>
    `Here is your invoice for ${amt(p.msat)}${p.memo ? ` (${p.memo})` : ''}:\n\n${p.bolt11}`,
  'invoice.paid': (p: { msat: bigint; memo?: string }) => `⚡ Received ${amt(p.msat)}${p.memo ? ` for "${p.memo}"` : ''}.`,
  'payment.sent': (p: { msat: bigint; feeMsat: bigint; preimage?: string }) =>
    `✅ Paid ${amt(p.msat)} (fee ${amt(p.feeMsat)}).${p.preimage ? `\nPreimage: ${p.preimage}` : ''}`,
  'payment.failed': (p: { reason?: FailureReason }) => `❌ The payment failed${p.reason ? `: ${reasons[p.reason]}` : ''}. Nothing was taken from your balance.`,
  'payment.pending': () => '⏳ The payment is in flight. The amount stays on hold until it settles or fails; I will tell you.',
  'send.sent': (p: { msat: bigint; to: string; feeMsat?: bigint }) => `✅ Sent ${amt(p.msat)} to ${p.to}${p.feeMsat ? ` (fee ${amt(p.feeMsat)})` : ''}.`,
  'send.not-found': (p: { address: string }) => `Nobody answers for ${p.address}: it is neither a Nostr address (NIP-05) nor a lightning address I can reach.`,
  'send.lnurl-failed': (p: { address: string }) => `${p.address} did not give me a valid invoice. Nothing was sent.`,
  'send.lnurl-range': (p: { address: string; minMsat: bigint; maxMsat: bigint }) => `${p.address} accepts from ${amt(p.minMsat)} to ${amt(p.maxMsat)}.`,
  'send.received': (p: { msat: bigint; from: string; memo?: string }) => `⚡ ${p.from} sent you ${amt(p.msat)}${p.memo ? `: "${p.memo}"` : ''}.`,
  'send.welcome': () => 'Your wallet here is tied to your Nostr key and keeps it for you. Reply "balance" to see it, "help" for every command; "pay <invoice>" sends it on over Lightning.',
  'send.anonymous': () => 'Someone',
  'zap.sent': (p: { msat: bigint; target: string }) => `⚡ Zapped ${amt(p.msat)} to ${p.target}.`,
  'zap.not-found': (p: { target: string }) => `I could not find ${p.target} on the relays, so I do not know whom to zap.`,

  'confirm.pay': (p: { msat: bigint; maxFeeMsat: bigint; memo?: string }) =>
    `Pay ${amt(p.msat)}${p.memo ? ` for "${p.memo}"` : ''} (fee at most ${amt(p.maxFeeMsat)})? Reply yes or no.`,
  'confirm.send': (p: { msat: bigint; to: string }) => `Send ${amt(p.msat)} to ${p.to}? Reply yes or no.`,
  'confirm.zap': (p: { msat: bigint; target: string }) => `Zap ${amt(p.msat)} to ${p.target}? Reply yes or no.`,
  'confirm.cancelled': () => 'Cancelled. Nothing was sent.',
  'confirm.expired': () => 'That confirmation expired. Send the command again.',
  'confirm.nothing': () => 'There is nothing waiting for your confirmation.',

  'history.empty': () => 'No payments yet.',
  'history.list': (p: { items: HistoryItem[] }) =>
    `Your last ${p.items.length} payment(s):\n${lines(p.items, (i) => `${when(i.at)}  ${i.direction === 'in' ? '+' : '−'}${amt(i.msat)}${i.status ? ` (${i.status === 'pending' ? 'in flight' : 'failed'})` : ''}${i.memo ? `  ${i.memo}` : ''}`)}`,

  'connection.created': (p: { app: string; uri: string; budgetMsat?: bigint; period?: BudgetPeriod }) =>
    `Linked "${p.app}"${p.budgetMsat ? ` with a budget of ${amt(p.budgetMsat)} ${period[p.period ?? 'never']}` : ' with no budget limit'}. Paste this secret into the app and keep it private:\n\n${p.uri}`,
  'connection.list': (p: { items: ConnectionItem[] }) =>
    `Linked apps:\n${lines(p.items, (c) => `• ${c.app} (id ${c.id}): ${c.budgetMsat ? `${amt(c.usedMsat)} of ${amt(c.budgetMsat)} ${period[c.period ?? 'never']}` : `${amt(c.usedMsat)} spent, no limit`}`)}\nUnlink with: revoke <id>`,
  'connection.none': () => 'No linked apps. Link one with: connect <app>',
  'connection.revoked': (p: { id: string }) => `Unlinked ${p.id}; it can no longer spend.`,
  'connection.not-found': (p: { id: string }) => `You have no linked app with id ${p.id}. See: connections`,

  'lang.set': () => 'I will answer in English.',
  'username.set': (p: { name: string; address: string }) => `Your username is now ${p.name}: pay you at ${p.address}.`,
  'username.taken': (p: { name: string }) => `The username ${p.name} is taken. Try another.`,
  'username.reserved': (p: { name: string }) => `The username ${p.name} is reserved. Try another.`,

  'rate-limited': (p: { retryAfterSec: number }) => `Too many messages. Try again in ${p.retryAfterSec} s.`,
  'unknown': (p: { word: string; suggestion?: string }) =>
    `I don't know "${p.word}".${p.suggestion ? ` Did you mean "${p.suggestion}"?` : ''} Send "help" for the list of commands.`,

  'error.empty': () => 'Send "help" to see what I can do.',
  'error.missing.amount': (p: { command: string }) => `How much? Example: ${p.command} 1000`,
  'error.missing.invoice': () => 'Which invoice? Example: pay lnbc10u1p…',
  'error.missing.recipient': () => 'To whom? Give an npub or a name@domain. Example: send 1000 alice@example.com',
  'error.missing.id': () => 'Which connection? Example: revoke c1a2b3 (see "connections")',
  'error.missing.lang': () => 'Which language? en, es or ja. Example: lang es',
  'error.missing.name': () => 'Which name? Example: username alice',
  'error.missing.target': () => 'Zap what? Give an npub, note, nevent or naddr. Example: zap npub1… 21',
  'error.amount.empty': () => 'The amount is missing.',
  'error.amount.malformed': (p: { input: string }) => `"${p.input}" is not an amount. Examples: 1000, 1k, 21 sats, 0.0001 btc.`,
  'error.amount.negative': () => 'The amount must be positive.',
  'error.amount.zero': () => 'The amount must be more than zero.',
  'error.amount.fractional-msat': () => 'That amount is finer than a millisatoshi, the smallest unit.',
  'error.amount.too-large': () => 'That amount is larger than all bitcoin there will ever be.',
  'error.invoice': () => 'That is not a Lightning invoice (it should start with lnbc…).',
  'error.recipient': (p: { input: string }) => `"${p.input}" is not an npub, a hex public key or a name@domain address.`,
  'error.recipient.secret-key': () => '⚠️ That is a SECRET key (nsec). Never share it: anyone who has it controls the account. Move to a new key if you posted it anywhere.',
  'error.recipient.not-supported': (p: { to: string }) => `I cannot send to ${p.to} yet: on-chain addresses and Cashu tokens are not supported here yet.`,
  'error.target': (p: { input: string }) => `"${p.input}" is not an npub, note, nevent or naddr.`,
  'error.history-limit': (p: { max: number }) => `Give a number from 1 to ${p.max}. Example: history 20`,
  'error.id': (p: { input: string }) => `"${p.input}" is not a connection id. See: connections`,
  'error.lang': (p: { input: string }) => `I don't speak "${p.input}" yet. Choose en, es or ja.`,
  'error.username': (p: { min: number; max: number }) => `A username has ${p.min} to ${p.max} characters: letters, digits, and . _ - inside.`,
  'error.text-too-long': (p: { max: number }) => `That text is too long (at most ${p.max} characters).`,
  'error.insufficient-balance': (p: { balanceMsat: bigint; neededMsat: bigint }) =>
    `Not enough funds: this needs ${amt(p.neededMsat)} including fees, your balance is ${amt(p.balanceMsat)}.`,
  'error.payment.invalid_invoice': () => 'That invoice is not valid (bad checksum or signature). Copy it again in full.',
  'error.payment.wrong_network': (p: { network: string; ours: string }) => `That invoice is for ${p.network}; this wallet runs on ${p.ours}.`,
  'error.payment.expired': () => 'That invoice has expired. Ask for a new one.',
  'error.payment.amount_required': () => 'That invoice has no amount: add one. Example: pay lnbc1… 1000',
  'error.payment.amount_mismatch': (p: { invoiceMsat: bigint }) => `That invoice asks for ${amt(p.invoiceMsat)}; leave the amount out or give exactly that.`,
  'error.payment.amount_out_of_range': (p: { maxMsat: bigint }) => `Amounts here go up to ${amt(p.maxMsat)}.`,
  'error.payment.already_paid': () => 'That invoice is being paid or was paid already.',
  'error.payment.self_payment': () => 'That is your own invoice or account: nothing to do.',
  'error.payment.unavailable': () => 'The Lightning node is not answering right now. Nothing was sent; try again in a moment.',
  'error.payment.not_supported': () => 'That kind of invoice cannot be paid from this wallet.',
  'error.risk.account_frozen': (p: { reason?: string }) => `Your account is frozen: it can receive but not send${p.reason ? ` (${p.reason})` : ''}. Contact the operator.`,
  'error.risk.payments_paused': () => 'Outgoing payments are paused by the operator for now. Nothing was sent; try again later.',
  'error.risk.payment': (p: { limitMsat: bigint }) => `That is over the limit for one payment, ${amt(p.limitMsat)}.`,
  'error.risk.daily': (p: { rail: string; limitMsat: bigint; leftMsat: bigint; resetsAt?: number }) =>
    `That is over your 24-hour limit for ${p.rail} payments (${amt(p.limitMsat)}): ${amt(p.leftMsat)} left${p.resetsAt ? `; this amount fits again from ${when(p.resetsAt)}` : ''}.`,
  'error.risk.balance': (p: { limitMsat: bigint; leftMsat: bigint }) => `The recipient can hold at most ${amt(p.limitMsat)}: ${amt(p.leftMsat)} more fits.`,
  'error.internal': () => 'Something went wrong on my side. Your balance is safe; please try again in a moment.',
};

export type Catalog = { [K in keyof typeof en]: (typeof en)[K] };
