// A DM's text → a typed command, or a typed reason why not. Pure: no lookups, no I/O.
// Command words are case-insensitive and have aliases (English, Spanish, Japanese).
import * as nip19 from 'nostr-tools/nip19';
import { KeyError, type KeyErrorCode } from '../../core/nostr/keys.ts';
import { parseRecipient as parseAnyRecipient, type Recipient } from '../../core/routing/recipient.ts';
import type { Renewal } from '../nwc/budget.ts';
import { isAmountUnit, parseAmount, type AmountError } from './amount.ts';

export const LANGS = ['en', 'es', 'ja'] as const;
export type Lang = (typeof LANGS)[number];
/** NIP-47 budget renewal periods. */
export type BudgetPeriod = Renewal;

/** Who to send to: any recipient core/routing reads (a key, `name@domain`, an invoice, …). */
export type { Recipient };

/** What to zap: a profile, an event, or an addressable event (NIP-19 pointers). */
export type ZapTarget =
  | { type: 'profile'; pubkey: string; relays: string[] }
  | { type: 'event'; id: string; author?: string; relays: string[] }
  | { type: 'address'; kind: number; pubkey: string; identifier: string; relays: string[] };

export type Command =
  | { type: 'help'; topic?: CommandName }
  | { type: 'balance' }
  | { type: 'invoice'; msat: bigint; memo?: string }
  | { type: 'pay'; invoice: string; msat?: bigint }
  | { type: 'send'; msat: bigint; to: Recipient; memo?: string }
  | { type: 'history'; limit: number }
  | { type: 'connect'; app?: string; budgetMsat?: bigint; period?: BudgetPeriod }
  | { type: 'connections' }
  | { type: 'revoke'; id: string }
  | { type: 'lang'; lang: Lang }
  | { type: 'confirm'; yes: boolean }
  | { type: 'username'; name: string }
  | { type: 'zap'; target: ZapTarget; msat: bigint; comment?: string }
  | { type: 'card'; action: CardAction }
  | { type: 'ecash'; msat: bigint }
  | { type: 'redeem'; token: string }
  | { type: 'nutzap' }
  | { type: 'address'; fresh: boolean }
  | { type: 'withdraw'; msat: bigint; address: string; speed: WithdrawSpeed };

export type WithdrawSpeed = 'fast' | 'normal' | 'slow';

/** What `card …` asks of the holder's card (the newest one not wiped). */
export type CardAction =
  | { do: 'show' } | { do: 'new'; name?: string } | { do: 'on' } | { do: 'off' } | { do: 'wipe' }
  | { do: 'limit'; which: 'tap' | 'day'; msat: bigint };

export type CommandName = 'help' | 'balance' | 'invoice' | 'pay' | 'send' | 'history' | 'connect' | 'connections' | 'revoke' | 'lang' | 'yes' | 'no' | 'username' | 'zap' | 'card' | 'ecash' | 'nutzap' | 'address' | 'withdraw';

export type ParseError =
  | { type: 'empty' }
  | { type: 'unknown'; word: string; suggestion?: CommandName }
  | { type: 'missing'; command: CommandName; argument: 'amount' | 'invoice' | 'recipient' | 'id' | 'lang' | 'name' | 'target' | 'address' }
  | { type: 'amount'; command: CommandName; input: string; reason: AmountError }
  | { type: 'invoice'; input: string }
  | { type: 'recipient'; input: string; reason: KeyErrorCode }
  | { type: 'target'; input: string }
  | { type: 'history-limit'; input: string; max: number }
  | { type: 'id'; input: string }
  | { type: 'lang'; input: string }
  | { type: 'username'; input: string; min: number; max: number }
  | { type: 'text-too-long'; max: number }
  | { type: 'card' };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: ParseError };

export const MAX_MEMO = 500;
export const MAX_HISTORY = 100;
export const DEFAULT_HISTORY = 10;
export const USERNAME = { min: 3, max: 32 } as const;

/** Every word that names a command; the first of each list is its canonical name. */
export const ALIASES: Record<CommandName, string[]> = {
  help: ['help', 'h', '?', 'commands', 'start', 'ayuda', 'ヘルプ'],
  balance: ['balance', 'bal', 'saldo', '残高'],
  invoice: ['invoice', 'receive', 'fund', 'deposit', 'factura', 'recibir', '請求', '受取'],
  pay: ['pay', 'pagar', '支払い', '支払う'],
  send: ['send', 'tip', 'enviar', '送金', '送る'],
  history: ['history', 'hist', 'transactions', 'historial', '履歴'],
  connect: ['connect', 'nwc', 'conectar', '接続'],
  connections: ['connections', 'apps', 'conexiones', '接続一覧'],
  revoke: ['revoke', 'disconnect', 'revocar', '解除'],
  lang: ['lang', 'language', 'idioma', '言語'],
  yes: ['yes', 'y', 'ok', 'confirm', 'si', 'sí', 'はい'],
  no: ['no', 'n', 'cancel', 'cancelar', 'いいえ'],
  username: ['username', 'name', 'usuario', 'ユーザー名'],
  zap: ['zap', 'ザップ'],
  card: ['card', 'cards', 'tarjeta', 'カード'],
  ecash: ['ecash', 'cashu', 'token', 'efectivo', 'eキャッシュ'],
  nutzap: ['nutzap', 'nutzaps', 'ナッツザップ'],
  address: ['address', 'addr', 'onchain', 'dirección', 'direccion', 'アドレス'],
  withdraw: ['withdraw', 'retirar', '出金'],
};

const COMMAND_BY_WORD = new Map(Object.entries(ALIASES).flatMap(([name, words]) => words.map((w) => [w, name as CommandName])));

const LANG_WORDS: Record<string, Lang> = {
  en: 'en', english: 'en', inglés: 'en', ingles: 'en', 英語: 'en',
  es: 'es', spanish: 'es', español: 'es', espanol: 'es', スペイン語: 'es',
  ja: 'ja', jp: 'ja', japanese: 'ja', japonés: 'ja', japones: 'ja', 日本語: 'ja',
};
const PERIOD_WORDS: Record<string, BudgetPeriod> = {
  daily: 'daily', day: 'daily', diario: 'daily', 毎日: 'daily',
  weekly: 'weekly', week: 'weekly', semanal: 'weekly', 毎週: 'weekly',
  monthly: 'monthly', month: 'monthly', mensual: 'monthly', 毎月: 'monthly',
  yearly: 'yearly', year: 'yearly', anual: 'yearly', 毎年: 'yearly',
  never: 'never', nunca: 'never', なし: 'never',
};
const CARD_WORDS: Record<string, 'new' | 'on' | 'off' | 'wipe' | 'limit'> = {
  new: 'new', nueva: 'new', 新規: 'new', on: 'on', enable: 'on', activar: 'on', オン: 'on', off: 'off', disable: 'off', desactivar: 'off', オフ: 'off',
  wipe: 'wipe', borrar: 'wipe', 消去: 'wipe', limit: 'limit', limite: 'limit', límite: 'limit', 上限: 'limit',
};
const LIMIT_WORDS: Record<string, 'tap' | 'day'> = { tap: 'tap', pago: 'tap', '1回': 'tap', day: 'day', daily: 'day', dia: 'day', día: 'day', '1日': 'day' };
/** cashuA… (V3) or cashuB… (V4). */
const CASHU_TOKEN = /\bcashu[AB][A-Za-z0-9_\-+/=]{20,}/;
const SPEED_WORDS: Record<string, WithdrawSpeed> = {
  fast: 'fast', rápido: 'fast', rapido: 'fast', 高速: 'fast',
  normal: 'normal', 通常: 'normal',
  slow: 'slow', lento: 'slow', 低速: 'slow',
};
const NEW_WORDS = new Set(['new', 'fresh', 'nueva', 'nuevo', '新規']);
const BOLT11 = /^ln(bc|tb|tbs|bcrt|sb)[0-9]*[munp]?1[02-9ac-hj-np-z]{50,}$/;
const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface Token { text: string; at: number }

/** Words of `text` with their offsets, so free text (memos) keeps its own spacing. */
const tokenize = (text: string): Token[] => [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index }));

const fail = (error: ParseError): ParseResult => ({ ok: false, error });
const ok = (command: Command): ParseResult => ({ ok: true, command });

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The command whose name or alias is closest to `word`, if close enough to be a typo. */
export function suggestCommand(word: string): CommandName | undefined {
  let best: { name: CommandName; d: number } | undefined;
  for (const [alias, name] of COMMAND_BY_WORD) {
    if (alias.length < 3) continue;
    const d = distance(word, alias);
    if (d <= Math.max(1, Math.floor(alias.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** An amount at `tokens[i]`, with a unit word after it when there is one ("21 sats"). */
function takeAmount(tokens: Token[], i: number): { result: ReturnType<typeof parseAmount>; input: string; next: number } | undefined {
  const first = tokens[i];
  if (!first) return undefined;
  const unit = tokens[i + 1];
  if (unit && isAmountUnit(unit.text) && /[0-9]k?$/i.test(first.text)) {
    const input = `${first.text} ${unit.text}`;
    return { result: parseAmount(input), input, next: i + 2 };
  }
  return { result: parseAmount(first.text), input: first.text, next: i + 1 };
}

/** Free text from token `i` to the end, as typed; undefined when there is none. */
function rest(text: string, tokens: Token[], i: number): string | undefined {
  const t = tokens[i];
  return t ? text.slice(t.at).trim() : undefined;
}

function memoOrError(text: string | undefined): ParseError | undefined {
  return text !== undefined && text.length > MAX_MEMO ? { type: 'text-too-long', max: MAX_MEMO } : undefined;
}

function parseRecipient(input: string): Recipient | Extract<ParseError, { type: 'recipient' }> {
  try {
    return parseAnyRecipient(input);
  } catch (err) {
    if (err instanceof KeyError) return { type: 'recipient', input, reason: err.code };
    throw err;
  }
}

function parseZapTarget(input: string): ZapTarget | undefined {
  const code = input.replace(/^nostr:/i, '').toLowerCase();
  if (!/^(npub1|nprofile1|note1|nevent1|naddr1)/.test(code)) return undefined;
  let d: nip19.DecodedResult;
  try {
    d = nip19.decode(code);
  } catch {
    return undefined;
  }
  switch (d.type) {
    case 'npub': return { type: 'profile', pubkey: d.data, relays: [] };
    case 'nprofile': return { type: 'profile', pubkey: d.data.pubkey, relays: d.data.relays ?? [] };
    case 'note': return { type: 'event', id: d.data, relays: [] };
    case 'nevent': return { type: 'event', id: d.data.id, author: d.data.author, relays: d.data.relays ?? [] };
    case 'naddr': return { type: 'address', kind: d.data.kind, pubkey: d.data.pubkey, identifier: d.data.identifier, relays: d.data.relays ?? [] };
    default: return undefined;
  }
}

type Parser = (text: string, args: Token[]) => ParseResult;

/** An amount then optional free text: `invoice 1000 coffee`. */
function amountThenText(command: CommandName, args: Token[], text: string, build: (msat: bigint, memo?: string) => Command): ParseResult {
  const amount = takeAmount(args, 0);
  if (!amount) return fail({ type: 'missing', command, argument: 'amount' });
  if (!amount.result.ok) return fail({ type: 'amount', command, input: amount.input, reason: amount.result.error });
  const memo = rest(text, args, amount.next);
  const tooLong = memoOrError(memo);
  return tooLong ? fail(tooLong) : ok(build(amount.result.msat, memo));
}

const PARSERS: Record<CommandName, Parser> = {
  help: (_text, args) => ok({ type: 'help', topic: args[0] ? COMMAND_BY_WORD.get(args[0].text.toLowerCase()) : undefined }),
  balance: () => ok({ type: 'balance' }),
  connections: () => ok({ type: 'connections' }),
  yes: () => ok({ type: 'confirm', yes: true }),
  no: () => ok({ type: 'confirm', yes: false }),
  invoice: (text, args) => amountThenText('invoice', args, text, (msat, memo) => ({ type: 'invoice', msat, memo })),
  ecash: (text, args) => amountThenText('ecash', args, text, (msat) => ({ type: 'ecash', msat })),
  nutzap: () => ok({ type: 'nutzap' }),

  pay: (text, args) => {
    if (!args[0]) return fail({ type: 'missing', command: 'pay', argument: 'invoice' });
    const invoice = args[0].text.replace(/^lightning:/i, '').toLowerCase();
    if (!BOLT11.test(invoice)) return fail({ type: 'invoice', input: args[0].text });
    if (!args[1]) return ok({ type: 'pay', invoice });
    const amount = takeAmount(args, 1)!;
    if (!amount.result.ok) return fail({ type: 'amount', command: 'pay', input: amount.input, reason: amount.result.error });
    if (args[amount.next]) return fail({ type: 'amount', command: 'pay', input: rest(text, args, 1)!, reason: 'malformed' });
    return ok({ type: 'pay', invoice, msat: amount.result.msat });
  },

  send: (text, args) => {
    const amount = takeAmount(args, 0);
    if (!amount) return fail({ type: 'missing', command: 'send', argument: 'amount' });
    if (!amount.result.ok) return fail({ type: 'amount', command: 'send', input: amount.input, reason: amount.result.error });
    let i = amount.next;
    if (args[i] && ['to', 'a', 'para', 'へ', 'に'].includes(args[i]!.text.toLowerCase())) i++;
    if (!args[i]) return fail({ type: 'missing', command: 'send', argument: 'recipient' });
    const to = parseRecipient(args[i]!.text);
    if (to.type === 'recipient') return fail(to);
    const memo = rest(text, args, i + 1);
    const tooLong = memoOrError(memo);
    return tooLong ? fail(tooLong) : ok({ type: 'send', msat: amount.result.msat, to, memo });
  },

  history: (_text, args) => {
    if (!args[0]) return ok({ type: 'history', limit: DEFAULT_HISTORY });
    const n = /^[0-9]{1,4}$/.test(args[0].text) ? Number(args[0].text) : NaN;
    if (!(n >= 1 && n <= MAX_HISTORY)) return fail({ type: 'history-limit', input: args[0].text, max: MAX_HISTORY });
    return ok({ type: 'history', limit: n });
  },

  connect: (text, args) => {
    // From the end: an optional period, then an optional budget, then the app's name.
    let end = args.length;
    const period = args[end - 1] && PERIOD_WORDS[args[end - 1]!.text.toLowerCase()];
    if (period) end--;
    let budgetMsat: bigint | undefined;
    for (const width of [2, 1]) {
      const amount = end - width >= 0 ? takeAmount(args.slice(0, end), end - width) : undefined;
      if (budgetMsat !== undefined || amount?.next !== end) continue;
      // A number where the budget goes is a budget: a bad one is an error, not part of the name.
      if (!amount.result.ok) {
        if (/^[-.0-9]/.test(amount.input)) return fail({ type: 'amount', command: 'connect', input: amount.input, reason: amount.result.error });
        continue;
      }
      budgetMsat = amount.result.msat;
      end -= width;
    }
    const app = end > 0 ? text.slice(args[0]!.at, args[end - 1]!.at + args[end - 1]!.text.length).trim() : undefined;
    if (app && app.length > 100) return fail({ type: 'text-too-long', max: 100 });
    return ok({ type: 'connect', app, budgetMsat, period: period ?? (budgetMsat !== undefined ? 'monthly' : undefined) });
  },

  revoke: (_text, args) => {
    if (!args[0]) return fail({ type: 'missing', command: 'revoke', argument: 'id' });
    return CONNECTION_ID.test(args[0].text) && !args[1] ? ok({ type: 'revoke', id: args[0].text }) : fail({ type: 'id', input: args[0].text });
  },

  lang: (_text, args) => {
    if (!args[0]) return fail({ type: 'missing', command: 'lang', argument: 'lang' });
    const lang = LANG_WORDS[args[0].text.toLowerCase()];
    return lang ? ok({ type: 'lang', lang }) : fail({ type: 'lang', input: args[0].text });
  },

  username: (_text, args) => {
    if (!args[0]) return fail({ type: 'missing', command: 'username', argument: 'name' });
    const name = args[0].text.replace(/^@/, '').toLowerCase();
    const valid = name.length >= USERNAME.min && name.length <= USERNAME.max && /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name) && !args[1];
    return valid ? ok({ type: 'username', name }) : fail({ type: 'username', input: args[0].text, ...USERNAME });
  },

  zap: (text, args) => {
    if (!args[0]) return fail({ type: 'missing', command: 'zap', argument: 'target' });
    const target = parseZapTarget(args[0].text);
    if (!target) return fail({ type: 'target', input: args[0].text });
    const amount = takeAmount(args, 1);
    if (!amount) return fail({ type: 'missing', command: 'zap', argument: 'amount' });
    if (!amount.result.ok) return fail({ type: 'amount', command: 'zap', input: amount.input, reason: amount.result.error });
    const comment = rest(text, args, amount.next);
    const tooLong = memoOrError(comment);
    return tooLong ? fail(tooLong) : ok({ type: 'zap', target, msat: amount.result.msat, comment });
  },

  card: parseCard,
  address: (_text, args) => ok({ type: 'address', fresh: Boolean(args[0] && NEW_WORDS.has(args[0].text.toLowerCase())) }),

  /** `withdraw <amount> <address> [fast|normal|slow]`; the address is checked when quoting. */
  withdraw: (_text, args) => {
    const amount = takeAmount(args, 0);
    if (!amount) return fail({ type: 'missing', command: 'withdraw', argument: 'amount' });
    if (!amount.result.ok) return fail({ type: 'amount', command: 'withdraw', input: amount.input, reason: amount.result.error });
    let i = amount.next;
    if (args[i] && ['to', 'a', 'へ', 'に'].includes(args[i]!.text.toLowerCase())) i++;
    if (!args[i]) return fail({ type: 'missing', command: 'withdraw', argument: 'address' });
    const speed = args[i + 1] ? SPEED_WORDS[args[i + 1]!.text.toLowerCase()] : 'normal';
    if (!speed || args[i + 2]) return fail({ type: 'amount', command: 'withdraw', input: args.slice(i + 1).map((a) => a.text).join(' '), reason: 'malformed' });
    return ok({ type: 'withdraw', msat: amount.result.msat, address: args[i]!.text, speed });
  },
};

/** `card`, `card new [name]`, `card on`, `card off`, `card wipe`, `card limit tap|day <amount>`. */
function parseCard(text: string, args: Token[]): ParseResult {
  if (!args[0]) return ok({ type: 'card', action: { do: 'show' } });
  const word = CARD_WORDS[args[0].text.toLowerCase()];
  if (word === 'new') {
    const name = rest(text, args, 1);
    return name && name.length > 100 ? fail({ type: 'text-too-long', max: 100 }) : ok({ type: 'card', action: { do: 'new', name } });
  }
  if ((word === 'on' || word === 'off' || word === 'wipe') && !args[1]) return ok({ type: 'card', action: { do: word } });
  const which = args[1] && LIMIT_WORDS[args[1].text.toLowerCase()];
  if (word !== 'limit' || !which) return fail({ type: 'card' });
  const amount = takeAmount(args, 2);
  if (!amount) return fail({ type: 'missing', command: 'card', argument: 'amount' });
  if (!amount.result.ok) return fail({ type: 'amount', command: 'card', input: amount.input, reason: amount.result.error });
  return args[amount.next] ? fail({ type: 'card' }) : ok({ type: 'card', action: { do: 'limit', which, msat: amount.result.msat } });
}

/** Upper bound on a DM we parse at all: longer texts are refused before any work. */
export const MAX_TEXT = 4000;
export const MAX_TOKEN_TEXT = 40_000;

export function parseCommand(input: string): ParseResult {
  // A pasted Cashu token (alone or with words around it) is redeemed; tokens run longer than commands.
  const token = input.length <= MAX_TOKEN_TEXT ? CASHU_TOKEN.exec(input) : null;
  if (token) return ok({ type: 'redeem', token: token[0] });
  if (input.length > MAX_TEXT) return fail({ type: 'text-too-long', max: MAX_TEXT });
  const text = input.trim();
  const tokens = tokenize(text);
  const head = tokens[0];
  if (!head) return fail({ type: 'empty' });
  const word = head.text.toLowerCase().replace(/^[/!]/, '');
  const name = COMMAND_BY_WORD.get(word);
  if (!name) return fail({ type: 'unknown', word: head.text.slice(0, 40), suggestion: suggestCommand(word) });
  return PARSERS[name](text, tokens.slice(1));
}
