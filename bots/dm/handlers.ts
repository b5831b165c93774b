// One handler per command: a typed Command and the sender's session → the reply. Every text
// comes from the catalogs (`t`); money moves only through the wallet core.
import { setUsername } from '../../core/addresses/usernames.ts';
import { createInvoice } from '../../core/lightning/invoices.ts';
import { issueEcash } from '../../core/mint/ecash.ts';
import { MintError } from '../../core/mint/errors.ts';
import { nutzapInfoTags, nutzapKey } from '../../core/mint/nutzap.ts';
import { redeemToken, TokenError } from '../../core/mint/redeem.ts';
import { botRelays } from '../../core/nostr/relays.ts';
import { bip21, depositAddress } from '../../core/onchain/addresses.ts';
import { history } from '../../core/payments/transactions.ts';
import { cardCommand } from './cards.ts';
import type { Command } from './commands.ts';
import { connect, connections, revoke } from './connections.ts';
import { errorText } from './errors.ts';
import { helpText, t, type HistoryItem } from './i18n/index.ts';
import { confirm, paymentKey, requestPayment, requestWithdrawal } from './payments.ts';
import type { DmDeps, Reply, Session } from './session.ts';
import * as store from './store.ts';

type Handler<T extends Command['type']> = (d: DmDeps, s: Session, cmd: Extract<Command, { type: T }>) => Promise<Reply>;

const text = (value: string): Reply => ({ text: value });

const balance: Handler<'balance'> = async (d, s) => {
  const [row] = await d.ctx.sql<{ balance: bigint; pending: bigint }[]>`
    select a.balance_msat as balance, coalesce((select sum(amount_msat + fee_reserve_msat) from transactions
      where account_id = a.id and direction = 'outgoing' and status = 'pending'), 0)::int8 as pending
    from accounts a where a.id = ${s.accountId}`;
  return text(t(s.lang, 'balance', { msat: row!.balance, pendingMsat: row!.pending }));
};

const invoice: Handler<'invoice'> = async (d, s, cmd) => {
  try {
    const inv = await createInvoice(d.ctx, {
      accountId: s.accountId, idempotencyKey: paymentKey(s.dmId), amountMsat: cmd.msat, description: cmd.memo,
      metadata: { source: 'dm', dm: s.dmId },
    });
    return text(t(s.lang, 'invoice.created', { msat: cmd.msat, memo: cmd.memo, bolt11: inv.paymentRequest! }));
  } catch (err) {
    return text(await errorText(d, s, err));
  }
};

/** `ecash <amount>`: a token of our mint paid from the balance (the eCash rail; same DM, same token). */
const ecash: Handler<'ecash'> = async (d, s, cmd) => {
  if (cmd.msat % 1000n !== 0n) return text(t(s.lang, 'ecash.whole-sats'));
  try {
    const r = await issueEcash(d.ctx, { accountId: s.accountId, idempotencyKey: paymentKey(s.dmId), amountSat: cmd.msat / 1000n });
    if (r.status === 'succeeded') return text(t(s.lang, 'ecash.created', { msat: cmd.msat, token: r.token }));
    if (r.status === 'pending') return text(t(s.lang, 'ecash.pending', { msat: cmd.msat }));
    throw new Error(`eCash issue ${r.transaction.id} failed`);
  } catch (err) {
    return text(await errorText(d, s, err, { neededMsat: cmd.msat }));
  }
};

/** A pasted token: spent at our mint and credited. */
const redeem: Handler<'redeem'> = async (d, s, cmd) => {
  try {
    const r = await redeemToken(d.ctx, s.accountId, cmd.token);
    if (r.pending) return text(t(s.lang, 'ecash.redeem-pending'));
    return text(t(s.lang, 'ecash.redeemed', { msat: r.amountSat * 1000n, feeMsat: r.feeSat * 1000n }));
  } catch (err) {
    if (err instanceof TokenError) {
      switch (err.code) {
        case 'foreign': return text(t(s.lang, 'error.ecash.foreign'));
        case 'too_large': return text(t(s.lang, 'error.ecash.too-large', { maxMsat: d.ctx.config.MINT_FOREIGN_MAX_SAT * 1000n }));
        case 'unavailable': return text(t(s.lang, 'error.ecash.foreign-failed'));
        case 'malformed': return text(t(s.lang, 'error.ecash.invalid'));
      }
    }
    if (err instanceof MintError) return text(t(s.lang, err.code === 11001 || err.code === 11002 ? 'error.ecash.spent' : 'error.ecash.invalid'));
    throw err;
  }
};

/** `nutzap`: the holder's nutzap key and the kind 10019 tags naming it, this mint and our relays. */
const nutzap: Handler<'nutzap'> = async (d, s) => {
  const pubkey = await nutzapKey(d.ctx, s.accountId);
  const tags = nutzapInfoTags(d.ctx, pubkey, botRelays(d.ctx.config));
  return text(t(s.lang, 'nutzap.key', { pubkey, tags: JSON.stringify(tags) }));
};

const address: Handler<'address'> = async (d, s, cmd) => {
  try {
    const a = await depositAddress(d.ctx, s.accountId, cmd.fresh);
    return text(t(s.lang, 'address.created', { address: a.address, uri: bip21(a.address) }));
  } catch (err) {
    return text(await errorText(d, s, err));
  }
};

const historyHandler: Handler<'history'> = async (d, s, cmd) => {
  const { items } = await history(d.ctx.readSql, { accountId: s.accountId, limit: cmd.limit });
  if (!items.length) return text(t(s.lang, 'history.empty'));
  const list: HistoryItem[] = items.map((tx) => ({
    at: Math.floor(tx.createdAt.getTime() / 1000),
    direction: tx.direction === 'incoming' ? 'in' : 'out',
    msat: (tx.amountMsat ?? 0n) + (tx.direction === 'outgoing' ? tx.feeMsat : 0n),
    memo: tx.memo ?? tx.description,
    status: tx.status === 'pending' || tx.status === 'accepted' ? 'pending' : tx.status === 'failed' ? 'failed' : undefined,
  }));
  return text(t(s.lang, 'history.list', { items: list }));
};

const lang: Handler<'lang'> = async (d, s, cmd) => {
  await store.setLang(d.ctx.sql, s.sender, cmd.lang);
  return text(t(cmd.lang, 'lang.set'));
};

const username: Handler<'username'> = async (d, s, cmd) => {
  try {
    const { name, address } = await setUsername(d.ctx, s.sender, cmd.name);
    return text(t(s.lang, 'username.set', { name, address }));
  } catch (err) {
    return text(await errorText(d, s, err, { username: cmd.name }));
  }
};

const handlers: { [T in Command['type']]: Handler<T> } = {
  help: async (_d, s, cmd) => text(helpText(s.lang, cmd.topic)),
  balance,
  invoice,
  pay: requestPayment,
  send: requestPayment,
  history: historyHandler,
  lang,
  confirm: (d, s, cmd) => confirm(d, s, cmd.yes),
  connect,
  connections,
  revoke,
  username,
  zap: requestPayment,
  card: cardCommand,
  ecash,
  redeem,
  nutzap,
  address,
  withdraw: requestWithdrawal,
};

export function handle(d: DmDeps, s: Session, cmd: Command): Promise<Reply> {
  return (handlers[cmd.type] as Handler<Command['type']>)(d, s, cmd);
}
