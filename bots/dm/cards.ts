// `card …`: the holder's Flash Card by DM (core/cards), and the DM the holder gets for each
// card payment. Commands act on the holder's newest card not wiped.
import { createCard, getCard, listCards, setEnabled, setLimit, wipeCard } from '../../core/cards/cards.ts';
import { CardError } from '../../core/cards/errors.ts';
import type { PaymentEvent } from '../../core/payments/events.ts';
import type { CardAction } from './commands.ts';
import { t } from './i18n/index.ts';
import type { DmDeps, Reply, Session } from './session.ts';
import * as store from './store.ts';

async function run(d: DmDeps, s: Session, action: CardAction): Promise<string> {
  const sql = d.ctx.sql;
  switch (action.do) {
    case 'show': {
      const items = await listCards(sql, s.accountId);
      if (!items.length) return t(s.lang, 'card.none');
      return t(s.lang, 'card.list', { items: items.map((c) => ({ name: c.name, enabled: c.enabled, programmed: c.programmed, tapMsat: c.tapLimitMsat, dayMsat: c.dayLimitMsat, spentMsat: c.spentTodayMsat })) });
    }
    case 'new': {
      const { card, programUrl } = await createCard(d.ctx, { accountId: s.accountId, name: action.name });
      return t(s.lang, 'card.created', { name: card.name, url: programUrl });
    }
    case 'on': case 'off':
      return t(s.lang, `card.${action.do}`, { name: (await setEnabled(sql, s.accountId, action.do === 'on')).name });
    case 'limit':
      return t(s.lang, 'card.limit', { name: (await setLimit(sql, s.accountId, action.which, action.msat)).name, which: action.which, msat: action.msat });
    case 'wipe': {
      const data = await wipeCard(d.ctx, s.accountId);
      const [card] = await sql<{ name: string }[]>`select name from cards where id = ${String(data.id)}`;
      return t(s.lang, 'card.wiped', { name: card!.name, data: JSON.stringify(data) });
    }
  }
}

export async function cardCommand(d: DmDeps, s: Session, cmd: { action: CardAction }): Promise<Reply> {
  try {
    return { text: await run(d, s, cmd.action) };
  } catch (err) {
    if (err instanceof CardError && err.code === 'no_card') return { text: t(s.lang, 'card.none') };
    if (err instanceof CardError && err.code === 'invalid_request') return { text: t(s.lang, 'error.card') };
    throw err;
  }
}

/** A card payment finished: tell its holder (once, however often the event arrives). */
export async function cardNotice(d: DmDeps, e: PaymentEvent, cardId: string): Promise<void> {
  const user = await store.claimNotice(d.ctx.sql, `card:${e.type}:${e.transactionId}`, e.accountId);
  if (!user) return;
  const card = await getCard(d.ctx.sql, cardId);
  if (!card) return;
  const lang = user.lang ?? d.ctx.config.DM_DEFAULT_LANG;
  const left = card.dayLimitMsat > card.spentTodayMsat ? card.dayLimitMsat - card.spentTodayMsat : 0n;
  const text = e.type === 'payment.sent'
    ? t(lang, 'card.paid', { msat: e.amountMsat, name: card.name, description: e.description, leftMsat: left })
    : t(lang, 'card.failed', { msat: e.amountMsat, name: card.name });
  await d.messenger.send(user.pubkey, user.scheme ?? await d.messenger.schemeFor(user.pubkey), text);
}
