// English: the reference catalog. Its keys and parameter types define every other language's.
import { formatAmount } from '../amount.ts';
import type { PaymentFailureReason } from '../../../core/lightning/types.ts';
import type { BudgetPeriod } from '../commands.ts';

/** Amounts in the English number format. */
const amt = (msat: bigint) => formatAmount(msat, 'en');

export interface HistoryItem { at: number; direction: 'in' | 'out'; msat: bigint; memo?: string; status?: 'pending' | 'failed' }
/** Why the Lightning network refused a payment (the node's failure reasons). */
export type FailureReason = PaymentFailureReason;
export interface CardItem { name: string; enabled: boolean; programmed: boolean; tapMsat: bigint; dayMsat: bigint; spentMsat: bigint }
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
• card — your tap-to-pay NFC card (card new, on, off, limit, wipe)
• ecash <amount> — a Cashu token from your balance; paste a token to redeem it
• nutzap — receive nutzaps (NIP-61) into your balance
• address — a bitcoin address to deposit on-chain
• withdraw <amount> <address> [fast|normal|slow] — send on-chain
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
  'help.card': () => 'card — your Flash Card (a Boltcard NFC card that pays from your balance at any Lightning point of sale).\ncard new [name] — a new card and its one-time programming link · card on / card off · card limit tap <amount> · card limit day <amount> · card wipe — retire it and get its reset data.\nExample: card limit tap 20k',
  'help.ecash': () => 'ecash <amount> — turns part of your balance into a Cashu eCash token of this service\'s mint (any Cashu wallet takes it). Paste a token (cashuA…/cashuB…) to put it back into your balance.\nExample: ecash 1000',
  'help.nutzap': () => 'nutzap — gives you the key and the kind 10019 tags to publish so that people can send you nutzaps (NIP-61) of this mint; they land in your balance.\nExample: nutzap',
  'nutzap.key': (p: { pubkey: string; tags: string }) => `Nutzaps locked to ${p.pubkey} land in your balance. Publish a kind 10019 event with these tags:\n\n${p.tags}`,
  'ecash.created': (p: { msat: bigint; token: string }) => `Here is a token for ${amt(p.msat)}. Whoever has it can spend it:\n\n${p.token}`,
  'ecash.pending': (p: { msat: bigint }) => `Your token for ${amt(p.msat)} is being made; ask again with the same message in a moment.`,
  'ecash.whole-sats': () => 'eCash comes in whole sats: give an amount without millisats.',
  'ecash.redeemed': (p: { msat: bigint; feeMsat: bigint }) => `Redeemed: ${amt(p.msat)} added to your balance${p.feeMsat > 0n ? ` (mint fee ${amt(p.feeMsat)})` : ''}.`,
  'error.ecash.spent': () => 'That token was spent already (or is being spent).',
  'error.ecash.foreign': () => 'Tokens of that mint are not taken here.',
  'error.ecash.too-large': (p: { maxMsat: bigint }) => `Tokens of other mints are taken up to ${amt(p.maxMsat)}.`,
  'error.ecash.foreign-failed': () => 'The token\'s mint did not pay it out; the token is unchanged, try again later.',
  'ecash.redeem-pending': () => 'The token\'s mint is paying it out; I will tell you when it arrives.',
  'error.ecash.invalid': () => 'That is not a valid token of this mint.',

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

  'card.list': (p: { items: CardItem[] }) =>
    `Your cards (newest first; commands act on the first):\n${lines(p.items, (c) => `• ${c.name}: ${c.enabled ? 'on' : 'off'}, ${amt(c.tapMsat)} per payment, ${amt(c.spentMsat)} of ${amt(c.dayMsat)} spent today${c.programmed ? '' : ' (not programmed yet)'}`)}`,
  'card.none': () => 'You have no card. Get one with: card new',
  'card.created': (p: { name: string; url: string }) =>
    `Your card "${p.name}" is ready. Open this link once with the Boltcard NFC Programmer app (Create Bolt Card), then hold a blank NTAG 424 card to the phone. Keep the link private:\n\n${p.url}`,
  'card.on': (p: { name: string }) => `Card "${p.name}" is on: it pays again.`,
  'card.off': (p: { name: string }) => `Card "${p.name}" is off: taps are refused until you send "card on".`,
  'card.limit': (p: { name: string; which: 'tap' | 'day'; msat: bigint }) => `Card "${p.name}" now pays at most ${amt(p.msat)} ${p.which === 'tap' ? 'per payment' : 'per day (UTC)'}.`,
  'card.wiped': (p: { name: string; data: string }) =>
    `Card "${p.name}" is retired and pays no more. To make it blank again, scan this reset data with the Boltcard NFC Programmer app (Reset Bolt Card) and tap the card:\n\n${p.data}`,
  'card.paid': (p: { msat: bigint; name: string; description?: string; leftMsat: bigint }) =>
    `💳 Card "${p.name}" paid ${amt(p.msat)}${p.description ? ` to "${p.description}"` : ''}. Left today: ${amt(p.leftMsat)}.`,
  'card.failed': (p: { msat: bigint; name: string }) => `💳 A payment of ${amt(p.msat)} with card "${p.name}" failed. Nothing was taken from your balance.`,

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
  'error.card': () => 'Card commands: card · card new [name] · card on · card off · card limit tap <amount> · card limit day <amount> · card wipe',
  // On-chain (core/onchain/).
  'help.address': () => 'address [new] — a bitcoin address to deposit to on-chain (and a bitcoin: link). Deposits show as pending until confirmed. "address new" gives a fresh one; older ones keep working.\nExample: address',
  'help.withdraw': () => 'withdraw <amount> <address> [fast|normal|slow] — sends sats on-chain. I quote the fee and wait for your "yes"; withdrawals leave in batches, and the unused part of the fee comes back.\nExample: withdraw 50k bc1q… fast',
  'address.created': (p: { address: string; uri: string }) => `Deposit bitcoin on-chain to:\n\n${p.address}\n\n${p.uri}\n\nI will tell you when a deposit arrives and when it is spendable.`,
  'deposit.pending': (p: { msat: bigint; confirmations: number }) => `⏳ Deposit of ${amt(p.msat)} seen (${p.confirmations} confirmations): spendable once confirmed.`,
  'deposit.credited': (p: { msat: bigint }) => `✅ Deposit of ${amt(p.msat)} confirmed: it is in your balance.`,
  'confirm.withdraw': (p: { msat: bigint; address: string; feeMsat: bigint; speed: string }) => `Withdraw ${amt(p.msat)} to ${p.address} (${p.speed}; fee at most ${amt(p.feeMsat)}, the rest comes back)? Reply yes or no.`,
  'withdraw.queued': () => '⏳ Withdrawal queued: it leaves with the next batch. The amount and fee stay on hold until it confirms; I will tell you.',
  'error.missing.address': () => 'To which address? Example: withdraw 50k bc1q…',
  'error.withdraw.address': (p: { input: string }) => `"${p.input}" is not a valid bitcoin address (check it was copied in full).`,
  'error.withdraw.network': (p: { ours: string }) => `That address is for another bitcoin network; this wallet runs on ${p.ours}.`,
  'error.withdraw.whole-sats': () => 'On-chain amounts are whole sats.',
  'error.withdraw.minimum': (p: { reason: string }) => `Too small to send on-chain: ${p.reason}.`,
  'error.payment.account_held': () => 'Your outgoing payments are on hold while the operator reviews a deposit that was reversed by the network. Please contact them.',
  'error.risk.account_frozen': (p: { reason?: string }) => `Your account is frozen: it can receive but not send${p.reason ? ` (${p.reason})` : ''}. Contact the operator.`,
  'error.risk.payments_paused': () => 'Outgoing payments are paused by the operator for now. Nothing was sent; try again later.',
  'error.risk.payment': (p: { limitMsat: bigint }) => `That is over the limit for one payment, ${amt(p.limitMsat)}.`,
  'error.risk.daily': (p: { rail: string; limitMsat: bigint; leftMsat: bigint; resetsAt?: number }) =>
    `That is over your 24-hour limit for ${p.rail} payments (${amt(p.limitMsat)}): ${amt(p.leftMsat)} left${p.resetsAt ? `; this amount fits again from ${when(p.resetsAt)}` : ''}.`,
  'error.risk.balance': (p: { limitMsat: bigint; leftMsat: bigint }) => `The recipient can hold at most ${amt(p.limitMsat)}: ${amt(p.leftMsat)} more fits.`,
  'error.internal': () => 'Something went wrong on my side. Your balance is safe; please try again in a moment.',
};

export type Catalog = { [K in keyof typeof en]: (typeof en)[K] };
