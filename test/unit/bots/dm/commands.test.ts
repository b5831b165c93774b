import fc from 'fast-check';
import * as nip19 from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { ALIASES, MAX_MEMO, parseCommand, type CommandName, type ParseResult } from '../../../../bots/dm/commands.ts';

const sk = generateSecretKey();
const pk = getPublicKey(sk);
const npub = nip19.npubEncode(pk);
// A real-shaped regtest invoice (bech32 charset, long enough); decoding is the payer's job.
const bolt11 = 'lnbcrt10u1pjq8yqdpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpusp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgqxyz';

const command = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`expected a command from ${JSON.stringify(text)}, got ${JSON.stringify(r.error)}`);
  return r.command;
};
const error = (text: string) => {
  const r: ParseResult = parseCommand(text);
  if (r.ok) throw new Error(`expected an error from ${JSON.stringify(text)}, got ${r.command.type}`);
  return r.error;
};

describe('parseCommand', () => {
  it('knows every command by any alias, in any case, with an optional slash', () => {
    const expected: Record<CommandName, string> = {
      help: 'help', balance: 'balance', invoice: 'invoice', pay: 'pay', send: 'send', history: 'history', connect: 'connect',
      connections: 'connections', revoke: 'revoke', lang: 'lang', yes: 'confirm', no: 'confirm', username: 'username', zap: 'zap', card: 'card', ecash: 'ecash', nutzap: 'nutzap',
      address: 'address', withdraw: 'withdraw',
    };
    const args: Partial<Record<CommandName, string>> = {
      invoice: ' 1000', pay: ` ${bolt11}`, send: ` 1000 ${npub}`, revoke: ' abc', lang: ' es', username: ' alice', zap: ` ${npub} 21`, ecash: ' 100',
      withdraw: ' 50k bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080 fast',
    };
    for (const [name, words] of Object.entries(ALIASES) as Array<[CommandName, string[]]>) {
      for (const word of words) {
        for (const spelled of [word, word.toUpperCase(), `/${word}`]) expect(command(spelled + (args[name] ?? '')).type).toBe(expected[name]);
      }
    }
  });

  it('parses ecash and finds a pasted Cashu token anywhere in a DM, longer than any command', () => {
    expect(command('ecash 1000')).toEqual({ type: 'ecash', msat: 1_000_000n });
    expect(command('cashu 2k')).toEqual({ type: 'ecash', msat: 2_000_000n });
    const token = `cashuB${'o2F0gaJhaUgArSaMTR9YJmFwgaNhYQFhc3hA'.repeat(200)}`;
    expect(command(token)).toEqual({ type: 'redeem', token });
    expect(command(`here you go: ${token.slice(0, 80)} thanks`)).toEqual({ type: 'redeem', token: token.slice(0, 80) });
    expect(error('cashuA')).toMatchObject({ type: 'unknown' });
  });

  it('parses help, balance, history and confirmations', () => {
    expect(command('help')).toEqual({ type: 'help', topic: undefined });
    expect(command('help SEND')).toEqual({ type: 'help', topic: 'send' });
    expect(command('ayuda saldo')).toEqual({ type: 'help', topic: 'balance' });
    expect(command('  bal  ')).toEqual({ type: 'balance' });
    expect(command('history')).toEqual({ type: 'history', limit: 10 });
    expect(command('history 25')).toEqual({ type: 'history', limit: 25 });
    expect(command('Yes')).toEqual({ type: 'confirm', yes: true });
    expect(command('はい')).toEqual({ type: 'confirm', yes: true });
    expect(command('cancel')).toEqual({ type: 'confirm', yes: false });
    for (const bad of ['0', '101', '-1', 'ten', '1.5']) expect(error(`history ${bad}`)).toEqual({ type: 'history-limit', input: bad, max: 100 });
  });

  it('parses invoices with amounts in any spelling and a memo as typed', () => {
    expect(command('invoice 1000')).toEqual({ type: 'invoice', msat: 1_000_000n, memo: undefined });
    expect(command('receive 21 sats for  the coffee ☕')).toEqual({ type: 'invoice', msat: 21_000n, memo: 'for  the coffee ☕' });
    expect(command('fund 2.5k sat')).toEqual({ type: 'invoice', msat: 2_500_000n, memo: undefined });
    expect(command('invoice 0.0001 BTC rent')).toEqual({ type: 'invoice', msat: 10_000_000n, memo: 'rent' });
    expect(error('invoice')).toEqual({ type: 'missing', command: 'invoice', argument: 'amount' });
    expect(error('invoice -5')).toEqual({ type: 'amount', command: 'invoice', input: '-5', reason: 'negative' });
    expect(error('invoice 0 sats')).toEqual({ type: 'amount', command: 'invoice', input: '0 sats', reason: 'zero' });
    expect(error('invoice lots')).toEqual({ type: 'amount', command: 'invoice', input: 'lots', reason: 'malformed' });
    expect(error(`invoice 1 ${'x'.repeat(MAX_MEMO + 1)}`)).toEqual({ type: 'text-too-long', max: MAX_MEMO });
  });

  it('parses pay with an optional amount for zero-amount invoices', () => {
    expect(command(`pay ${bolt11}`)).toEqual({ type: 'pay', invoice: bolt11 });
    expect(command(`PAY lightning:${bolt11.toUpperCase()}`)).toEqual({ type: 'pay', invoice: bolt11 });
    expect(command(`pay ${bolt11} 5000 msat`)).toEqual({ type: 'pay', invoice: bolt11, msat: 5000n });
    expect(error('pay')).toEqual({ type: 'missing', command: 'pay', argument: 'invoice' });
    expect(error('pay lnbc1notaninvoice')).toEqual({ type: 'invoice', input: 'lnbc1notaninvoice' });
    expect(error(`pay ${npub}`)).toMatchObject({ type: 'invoice' });
    expect(error(`pay ${bolt11} 0.5 msat`)).toMatchObject({ type: 'amount', reason: 'fractional-msat' });
    expect(error(`pay ${bolt11} 10 sats please`)).toMatchObject({ type: 'amount', reason: 'malformed' });
  });

  it('parses send to a key, a NIP-05 or a lightning address, with "to" and a memo', () => {
    expect(command(`send 1000 ${npub}`)).toEqual({ type: 'send', msat: 1_000_000n, to: { type: 'pubkey', pubkey: pk }, memo: undefined });
    expect(command(`send 1k to ${pk.toUpperCase()} thanks!`)).toEqual({ type: 'send', msat: 1_000_000n, to: { type: 'pubkey', pubkey: pk }, memo: 'thanks!' });
    expect(command('tip 21 sats to Alice@Example.com gm')).toEqual({
      type: 'send', msat: 21_000n, to: { type: 'address', address: 'alice@example.com', name: 'alice', domain: 'example.com' }, memo: 'gm',
    });
    expect(command('enviar 500 a _@bob.example')).toMatchObject({ to: { type: 'address', name: '_', domain: 'bob.example' } });
    expect(error('send')).toEqual({ type: 'missing', command: 'send', argument: 'amount' });
    expect(error('send 100')).toEqual({ type: 'missing', command: 'send', argument: 'recipient' });
    expect(error('send 100 to')).toEqual({ type: 'missing', command: 'send', argument: 'recipient' });
    expect(error(`send ${npub} 100`)).toMatchObject({ type: 'amount', reason: 'malformed' });
    expect(error('send 100 bob')).toEqual({ type: 'recipient', input: 'bob', reason: 'malformed' });
    expect(error(`send 100 ${nip19.nsecEncode(sk)}`)).toMatchObject({ type: 'recipient', reason: 'secret-key' });
    expect(error(`send 100 ${npub.slice(0, -2)}`)).toMatchObject({ type: 'recipient', reason: 'bad-bech32' });
  });

  it('parses connect with optional name, budget and period', () => {
    expect(command('connect')).toEqual({ type: 'connect', app: undefined, budgetMsat: undefined, period: undefined });
    expect(command('connect Damus')).toEqual({ type: 'connect', app: 'Damus', budgetMsat: undefined, period: undefined });
    expect(command('connect Amethyst on  phone 10k sats weekly')).toEqual({ type: 'connect', app: 'Amethyst on  phone', budgetMsat: 10_000_000n, period: 'weekly' });
    expect(command('connect Zeus 5000')).toEqual({ type: 'connect', app: 'Zeus', budgetMsat: 5_000_000n, period: 'monthly' });
    expect(command('nwc 21000 never')).toEqual({ type: 'connect', app: undefined, budgetMsat: 21_000_000n, period: 'never' });
    expect(command('connect app daily')).toEqual({ type: 'connect', app: 'app', budgetMsat: undefined, period: 'daily' });
    expect(error('connect Damus 0')).toMatchObject({ type: 'amount', command: 'connect', reason: 'zero' });
    expect(error('connect Damus -5 sats')).toMatchObject({ type: 'amount', reason: 'negative' });
  });

  it('parses revoke, lang and username', () => {
    expect(command('revoke c_12-ab')).toEqual({ type: 'revoke', id: 'c_12-ab' });
    expect(error('revoke')).toEqual({ type: 'missing', command: 'revoke', argument: 'id' });
    expect(error('revoke a/b')).toEqual({ type: 'id', input: 'a/b' });
    expect(command('lang ES')).toEqual({ type: 'lang', lang: 'es' });
    expect(command('idioma español')).toEqual({ type: 'lang', lang: 'es' });
    expect(command('言語 日本語')).toEqual({ type: 'lang', lang: 'ja' });
    expect(error('lang fr')).toEqual({ type: 'lang', input: 'fr' });
    expect(error('lang')).toEqual({ type: 'missing', command: 'lang', argument: 'lang' });
    expect(command('username @Alice.B')).toEqual({ type: 'username', name: 'alice.b' });
    for (const bad of ['ab', 'a'.repeat(33), 'al ice', '-alice', 'alice_', 'al!ce', 'ali€e']) {
      expect(error(`username ${bad}`)).toMatchObject({ type: 'username', min: 3, max: 32 });
    }
  });

  it('parses zaps to profiles, notes, events and addresses', () => {
    const id = 'ab'.repeat(32);
    expect(command(`zap ${npub} 21 great post`)).toEqual({ type: 'zap', target: { type: 'profile', pubkey: pk, relays: [] }, msat: 21_000n, comment: 'great post' });
    expect(command(`zap nostr:${nip19.noteEncode(id)} 1k`)).toMatchObject({ target: { type: 'event', id }, msat: 1_000_000n });
    expect(command(`zap ${nip19.neventEncode({ id, author: pk, relays: ['wss://r.example'] })} 100`))
      .toMatchObject({ target: { type: 'event', id, author: pk, relays: ['wss://r.example'] } });
    expect(command(`zap ${nip19.naddrEncode({ kind: 30023, pubkey: pk, identifier: 'post' })} 100`))
      .toMatchObject({ target: { type: 'address', kind: 30023, pubkey: pk, identifier: 'post' } });
    expect(error('zap')).toEqual({ type: 'missing', command: 'zap', argument: 'target' });
    expect(error(`zap ${npub}`)).toEqual({ type: 'missing', command: 'zap', argument: 'amount' });
    expect(error('zap alice@example.com 21')).toEqual({ type: 'target', input: 'alice@example.com' });
    expect(error(`zap ${nip19.nsecEncode(sk)} 21`)).toMatchObject({ type: 'target' });
    expect(error(`zap ${npub} 0`)).toMatchObject({ type: 'amount', reason: 'zero' });
  });

  it('parses card commands, and refuses a card command it does not know with its usage', () => {
    expect(command('card')).toEqual({ type: 'card', action: { do: 'show' } });
    expect(command('card new')).toEqual({ type: 'card', action: { do: 'new' } });
    expect(command('tarjeta nueva  Coffee card ')).toEqual({ type: 'card', action: { do: 'new', name: 'Coffee card' } });
    expect(command('card off')).toEqual({ type: 'card', action: { do: 'off' } });
    expect(command('CARD On')).toEqual({ type: 'card', action: { do: 'on' } });
    expect(command('card wipe')).toEqual({ type: 'card', action: { do: 'wipe' } });
    expect(command('card limit tap 20k')).toEqual({ type: 'card', action: { do: 'limit', which: 'tap', msat: 20_000_000n } });
    expect(command('card limit day 100k sats')).toEqual({ type: 'card', action: { do: 'limit', which: 'day', msat: 100_000_000n } });
    expect(error('card limit week 1k')).toEqual({ type: 'card' });
    expect(error('card off now')).toEqual({ type: 'card' });
    expect(error('card explode')).toEqual({ type: 'card' });
    expect(error('card limit tap')).toEqual({ type: 'missing', command: 'card', argument: 'amount' });
    expect(error('card limit day -5')).toMatchObject({ type: 'amount', command: 'card' });
    expect(error('card limit tap 1k extra')).toEqual({ type: 'card' });
  });

  it('answers anything else with "unknown" and the closest command', () => {
    expect(error('')).toEqual({ type: 'empty' });
    expect(error('   ')).toEqual({ type: 'empty' });
    expect(error('balanse')).toEqual({ type: 'unknown', word: 'balanse', suggestion: 'balance' });
    expect(error('invoise 100')).toMatchObject({ suggestion: 'invoice' });
    expect(error('hitsory')).toMatchObject({ suggestion: 'history' });
    expect(error('Conections')).toMatchObject({ suggestion: 'connections' });
    expect(error('hello there')).toEqual({ type: 'unknown', word: 'hello', suggestion: undefined });
    expect(error('x'.repeat(5000))).toEqual({ type: 'text-too-long', max: 4000 });
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.constantFrom(...Object.values(ALIASES).flat()).chain((w) => fc.string().map((s) => `${w} ${s}`))), (text) => {
      expect(typeof parseCommand(text).ok).toBe('boolean');
    }), { numRuns: 3000 });
  });
});
