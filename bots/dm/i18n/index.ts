// `t(lang, key, params)`: every reply text of the DM bot, typed by key; and the one place
// where a parse error becomes words.
import type { CommandName, Lang, ParseError } from '../commands.ts';
import { en, type Catalog } from './en.ts';
import { es } from './es.ts';
import { ja } from './ja.ts';

export type { CardItem, Catalog, ConnectionItem, FailureReason, HistoryItem } from './en.ts';
export type { Lang };

export const catalogs: Record<Lang, Catalog> = { en, es, ja };

export type MessageKey = keyof Catalog;
/** `[]` for keys without parameters, `[params]` otherwise. */
export type MessageParams<K extends MessageKey> = Parameters<Catalog[K]>;

export function t<K extends MessageKey>(lang: Lang, key: K, ...params: MessageParams<K>): string {
  return (catalogs[lang][key] as (...args: MessageParams<K>) => string)(...params);
}

const HELP: Record<CommandName, MessageKey> = {
  help: 'help', balance: 'help.balance', invoice: 'help.invoice', pay: 'help.pay', send: 'help.send', history: 'help.history',
  connect: 'help.connect', connections: 'help.connections', revoke: 'help.revoke', lang: 'help.lang', yes: 'help.confirm',
  no: 'help.confirm', username: 'help.username', zap: 'help.zap', card: 'help.card', ecash: 'help.ecash', nutzap: 'help.nutzap',
  address: 'help.address', withdraw: 'help.withdraw',
};

/** The help text for `topic`, or the general one. */
export const helpText = (lang: Lang, topic?: CommandName): string => (catalogs[lang][HELP[topic ?? 'help']] as () => string)();

/** The reply to a DM that did not parse. */
export function parseErrorText(lang: Lang, error: ParseError): string {
  switch (error.type) {
    case 'empty': return t(lang, 'error.empty');
    case 'unknown': return t(lang, 'unknown', { word: error.word, suggestion: error.suggestion });
    case 'missing':
      return error.argument === 'amount' ? t(lang, 'error.missing.amount', { command: error.command }) : t(lang, `error.missing.${error.argument}`);
    case 'amount': return error.reason === 'malformed' ? t(lang, 'error.amount.malformed', { input: error.input }) : t(lang, `error.amount.${error.reason}`);
    case 'invoice': return t(lang, 'error.invoice');
    case 'recipient': return error.reason === 'secret-key' ? t(lang, 'error.recipient.secret-key') : t(lang, 'error.recipient', { input: error.input });
    case 'target': return t(lang, 'error.target', { input: error.input });
    case 'history-limit': return t(lang, 'error.history-limit', { max: error.max });
    case 'id': return t(lang, 'error.id', { input: error.input });
    case 'lang': return t(lang, 'error.lang', { input: error.input });
    case 'username': return t(lang, 'error.username', { min: error.min, max: error.max });
    case 'text-too-long': return t(lang, 'error.text-too-long', { max: error.max });
    case 'card': return t(lang, 'error.card');
  }
}
