import { describe, expect, it } from 'vitest';
import { ALIASES, LANGS, parseCommand, type CommandName } from '../../../../bots/dm/commands.ts';
import { catalogs, helpText, parseErrorText, t, type Catalog, type MessageKey, type MessageParams } from '../../../../bots/dm/i18n/index.ts';

const at = 1_714_571_100;
/** One set of parameters per key: typed, so a key added to English must be added here too. */
const samples: { [K in MessageKey]: MessageParams<K> } = {
  'help': [], 'help.balance': [], 'help.invoice': [], 'help.pay': [], 'help.send': [], 'help.history': [], 'help.connect': [],
  'help.connections': [], 'help.revoke': [], 'help.lang': [], 'help.confirm': [], 'help.username': [], 'help.zap': [], 'help.card': [], 'help.ecash': [], 'help.nutzap': [], 'nutzap.key': [{ pubkey: `02${'ab'.repeat(32)}`, tags: '[]' }],
  'ecash.created': [{ msat: 1000n, token: 'cashuBo2F0gaJhaUgA' }], 'ecash.pending': [{ msat: 1000n }], 'ecash.whole-sats': [],
  'ecash.redeemed': [{ msat: 990_000n, feeMsat: 1000n }], 'error.ecash.spent': [], 'error.ecash.foreign': [], 'error.ecash.invalid': [],
  'error.ecash.too-large': [{ maxMsat: 100_000_000n }], 'error.ecash.foreign-failed': [], 'ecash.redeem-pending': [],
  'help.address': [], 'help.withdraw': [],
  'address.created': [{ address: 'bcrt1qxyz', uri: 'bitcoin:bcrt1qxyz' }],
  'deposit.pending': [{ msat: 50_000_000n, confirmations: 0 }],
  'deposit.credited': [{ msat: 50_000_000n }],
  'confirm.withdraw': [{ msat: 50_000_000n, address: 'bcrt1qxyz', feeMsat: 2_820_000n, speed: 'fast' }],
  'withdraw.queued': [],
  'error.missing.address': [],
  'error.withdraw.address': [{ input: 'bc1qbad' }],
  'error.withdraw.network': [{ ours: 'regtest' }],
  'error.withdraw.whole-sats': [],
  'error.withdraw.minimum': [{ reason: 'the smallest withdrawal to this address is 1000 sat' }],
  'error.payment.account_held': [],
  'balance': [{ msat: 1_234_000n, pendingMsat: 21_000n }],
  'invoice.created': [{ msat: 1000n, memo: 'coffee', bolt11: 'lnbcrt10n1xyz' }],
  'invoice.paid': [{ msat: 1000n, memo: 'coffee' }],
  'payment.sent': [{ msat: 5000n, feeMsat: 1n, preimage: 'ab'.repeat(32) }],
  'payment.failed': [{ reason: 'no_route' }],
  'payment.pending': [],
  'send.sent': [{ msat: 21_000n, to: 'alice@example.com', feeMsat: 1000n }],
  'send.not-found': [{ address: 'bob@example.com' }],
  'send.lnurl-failed': [{ address: 'bob@example.com' }],
  'send.lnurl-range': [{ address: 'bob@example.com', minMsat: 1000n, maxMsat: 1_000_000n }],
  'send.received': [{ msat: 21_000n, from: 'bob', memo: 'gm' }],
  'send.welcome': [], 'send.anonymous': [],
  'zap.sent': [{ msat: 21_000n, target: 'note1xyz' }],
  'zap.not-found': [{ target: 'note1xyz' }],
  'confirm.pay': [{ msat: 10_000n, maxFeeMsat: 100n, memo: 'pizza' }],
  'confirm.send': [{ msat: 10_000n, to: 'npub1xyz' }],
  'confirm.zap': [{ msat: 10_000n, target: 'npub1xyz' }],
  'confirm.cancelled': [], 'confirm.expired': [], 'confirm.nothing': [],
  'history.empty': [],
  'history.list': [{ items: [{ at, direction: 'in', msat: 1000n, memo: 'tip' }, { at, direction: 'out', msat: 21_500n }, { at, direction: 'out', msat: 2000n, status: 'failed' }] }],
  'connection.created': [{ app: 'Damus', uri: 'nostr+walletconnect://abc', budgetMsat: 10_000_000n, period: 'weekly' }],
  'connection.list': [{ items: [{ id: 'c1', app: 'Damus', budgetMsat: 10_000_000n, usedMsat: 21_000n, period: 'monthly' }, { id: 'c2', app: 'Zeus', usedMsat: 0n }] }],
  'connection.none': [],
  'connection.revoked': [{ id: 'c1' }],
  'connection.not-found': [{ id: 'c9' }],
  'card.list': [{ items: [{ name: 'card 1', enabled: true, programmed: true, tapMsat: 20_000_000n, dayMsat: 100_000_000n, spentMsat: 21_000n }, { name: 'old', enabled: false, programmed: false, tapMsat: 1000n, dayMsat: 2000n, spentMsat: 0n }] }],
  'card.none': [], 'card.created': [{ name: 'card 1', url: 'https://pay.example.com/cards/program/abc' }],
  'card.on': [{ name: 'card 1' }], 'card.off': [{ name: 'card 1' }], 'card.limit': [{ name: 'card 1', which: 'day', msat: 100_000_000n }],
  'card.wiped': [{ name: 'card 1', data: '{"action":"wipe"}' }],
  'card.paid': [{ msat: 21_000n, name: 'card 1', description: 'coffee', leftMsat: 79_000_000n }], 'card.failed': [{ msat: 21_000n, name: 'card 1' }],
  'error.card': [],
  'lang.set': [],
  'username.set': [{ name: 'alice', address: 'alice@pay.example.com' }],
  'username.taken': [{ name: 'alice' }],
  'username.reserved': [{ name: 'admin' }],
  'rate-limited': [{ retryAfterSec: 30 }],
  'unknown': [{ word: 'balanse', suggestion: 'balance' }],
  'error.empty': [],
  'error.missing.amount': [{ command: 'invoice' }],
  'error.missing.invoice': [], 'error.missing.recipient': [], 'error.missing.id': [], 'error.missing.lang': [], 'error.missing.name': [], 'error.missing.target': [],
  'error.amount.empty': [], 'error.amount.malformed': [{ input: 'lots' }], 'error.amount.negative': [], 'error.amount.zero': [],
  'error.amount.fractional-msat': [], 'error.amount.too-large': [],
  'error.invoice': [], 'error.recipient': [{ input: 'bob' }], 'error.recipient.secret-key': [], 'error.recipient.not-supported': [{ to: 'bc1qxyz' }], 'error.target': [{ input: 'x' }],
  'error.history-limit': [{ max: 100 }], 'error.id': [{ input: 'a/b' }], 'error.lang': [{ input: 'fr' }],
  'error.username': [{ min: 3, max: 32 }], 'error.text-too-long': [{ max: 500 }],
  'error.insufficient-balance': [{ balanceMsat: 1000n, neededMsat: 2000n }],
  'error.payment.invalid_invoice': [], 'error.payment.wrong_network': [{ network: 'mainnet', ours: 'regtest' }], 'error.payment.expired': [],
  'error.payment.amount_required': [], 'error.payment.amount_mismatch': [{ invoiceMsat: 5000n }], 'error.payment.amount_out_of_range': [{ maxMsat: 1_000_000n }],
  'error.payment.already_paid': [], 'error.payment.self_payment': [], 'error.payment.unavailable': [], 'error.payment.not_supported': [],
  'error.risk.account_frozen': [{ reason: 'stolen key' }], 'error.risk.payments_paused': [], 'error.risk.payment': [{ limitMsat: 10_000n }],
  'error.risk.daily': [{ rail: 'lightning', limitMsat: 30_000n, leftMsat: 3000n, resetsAt: at }], 'error.risk.balance': [{ limitMsat: 100_000n, leftMsat: 5000n }],
  'error.internal': [],
};

describe('message catalogs', () => {
  it('have exactly the English keys in every language', () => {
    for (const lang of LANGS) expect(Object.keys(catalogs[lang]).sort()).toEqual(Object.keys(catalogs.en).sort());
  });

  it('render every message in every language with its parameters, and nothing unrendered', () => {
    for (const lang of LANGS) {
      for (const [key, params] of Object.entries(samples) as Array<[MessageKey, MessageParams<MessageKey>]>) {
        const text = (t as (l: typeof lang, k: MessageKey, ...p: unknown[]) => string)(lang, key, ...params);
        expect(text.length, `${lang} ${key}`).toBeGreaterThan(5);
        expect(text, `${lang} ${key}`).not.toMatch(/undefined|\[object|NaN|\$\{/);
      }
    }
  });

  it('puts amounts, memos and identifiers into the text', () => {
    for (const lang of LANGS) {
      expect(t(lang, 'balance', { msat: 12_345_000n })).toContain(lang === 'es' ? '12.345 sats' : '12,345 sats');
      expect(t(lang, 'invoice.created', { msat: 1000n, bolt11: 'lnbcrt10n1xyz' })).toContain('lnbcrt10n1xyz');
      expect(t(lang, 'history.list', ...samples['history.list'])).toContain('2024-05-01 13:45 UTC');
      expect(t(lang, 'confirm.send', { msat: 10_000n, to: 'npub1xyz' })).toMatch(/10 sats[\s\S]*npub1xyz|npub1xyz[\s\S]*10 sats/);
    }
    expect(t('en', 'balance', { msat: 1000n })).toBe('Balance: 1 sat');
    expect(t('es', 'lang.set')).toBe('Te responderé en español.');
    expect(t('ja', 'unknown', { word: 'foo' })).not.toContain('のことですか');
  });

  it('have a help text with an example for every command', () => {
    for (const lang of LANGS) {
      expect(helpText(lang)).toBe(t(lang, 'help'));
      for (const name of (Object.keys(ALIASES) as CommandName[]).filter((n) => n !== 'help')) {
        const text = helpText(lang, name);
        expect(text).not.toBe(helpText(lang));
        expect(ALIASES[name].some((alias) => text.toLowerCase().includes(alias))).toBe(true);
      }
    }
  });

  it('word every parse failure in every language', () => {
    const failures = ['', 'balanse', 'invoice', 'invoice -1', 'invoice 0', 'invoice 0.5 msat', 'invoice 99999999999999999 btc', 'invoice lots',
      'pay', 'pay lnbc1', 'send 1', 'send 1 bob', 'send 1 nsec1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', 'zap', 'zap xyz 1',
      'history 0', 'revoke', 'revoke a/b', 'lang', 'lang fr', 'username', 'username !', `invoice 1 ${'x'.repeat(600)}`];
    for (const input of failures) {
      const r = parseCommand(input);
      expect(r.ok, input).toBe(false);
      if (r.ok) continue;
      const texts = LANGS.map((lang) => parseErrorText(lang, r.error));
      expect(new Set(texts).size, input).toBe(3);
      for (const text of texts) expect(text, input).not.toMatch(/undefined|\[object/);
    }
  });
});

// Compile-time guarantees (checked by `tsc`, which type-checks the tests):
// @ts-expect-error a catalog without every key is a type error
export const incomplete: Catalog = { help: () => 'hi' };
// @ts-expect-error parameters are typed: msat is a bigint
export const wrongParam = () => t('en', 'balance', { msat: 1 });
// @ts-expect-error a message with parameters needs them
export const missingParam = () => t('en', 'balance');
// @ts-expect-error unknown keys are refused
export const unknownKey = () => t('en', 'no.such.key');
