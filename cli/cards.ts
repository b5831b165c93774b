// `flash card create|list|on|off|limit|wipe`: Flash Cards (Boltcards) for the operator; the
// holder does the same by DM (docs/cards.md).
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import { cardHolder, createCard, listCards, setEnabled, setLimit, wipeCard, type Card } from '../core/cards/cards.ts';
import { CardError } from '../core/cards/errors.ts';
import * as accounts from '../core/ledger/accounts.ts';
import { KeyError, parsePubkey } from '../core/nostr/keys.ts';
import { withContext } from './with-context.ts';

/** Runs a command; a CardError is the operator's mistake, printed with exit code 2. */
function withCards(config: Config, run: (ctx: Context) => Promise<void>): Promise<void> {
  return withContext(config, async (ctx) => {
    try {
      await run(ctx);
    } catch (err) {
      if (!(err instanceof CardError)) throw err;
      console.error(err.message);
      process.exitCode = 2;
    }
  });
}

function pubkey(value: string): string {
  try {
    return parsePubkey(value);
  } catch (err) {
    if (err instanceof KeyError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

function sats(value: string): bigint {
  if (!/^\d{1,12}$/.test(value) || BigInt(value) === 0n) throw new InvalidArgumentError('expected a whole number of sats, at least 1');
  return BigInt(value) * 1000n;
}

const describe = (c: Card) => `${c.id}  ${c.enabled ? 'on ' : 'off'}  ${c.name}  (${c.tapLimitMsat / 1000n} sats per tap, ${c.dayLimitMsat / 1000n} per day, `
  + `${c.spentTodayMsat / 1000n} spent today${c.programmed ? '' : ', not programmed yet'})`;

async function holderOf(ctx: Context, cardId: string): Promise<string> {
  const holder = await cardHolder(ctx.sql, cardId);
  if (!holder) throw new CardError('no_card', `no card ${cardId}`);
  return holder.accountId;
}

export function cardCommands(program: Command, config: () => Config): void {
  const card = program.command('card').description('Flash Cards: Boltcard NFC cards that pay from a user\'s balance (docs/cards.md)');
  card.command('create')
    .description('issue a card and print its one-time programming link (open it with the Boltcard NFC Programmer app)')
    .requiredOption('--user <npub|hex>', 'the holder, whose balance the card spends', pubkey)
    .option('--name <name>', 'what the holder calls it')
    .option('--tap-limit-sats <n>', 'most per payment (default CARD_TAP_LIMIT_MSAT)', sats)
    .option('--day-limit-sats <n>', 'most per UTC day (default CARD_DAY_LIMIT_MSAT)', sats)
    .option('--json', 'as JSON')
    .action(async (o: { user: string; name?: string; tapLimitSats?: bigint; dayLimitSats?: bigint; json?: boolean }) => withCards(config(), async (ctx) => {
      const account = await accounts.forPubkey(ctx.sql, o.user);
      const { card: c, programUrl } = await createCard(ctx, { accountId: account.id, name: o.name, tapLimitMsat: o.tapLimitSats, dayLimitMsat: o.dayLimitSats });
      if (o.json) return console.log(JSON.stringify({ id: c.id, name: c.name, programUrl }));
      console.log(describe(c));
      console.log(`programming link (gives the keys once): ${programUrl}`);
    }));

  card.command('list')
    .description("a user's cards, newest first")
    .requiredOption('--user <npub|hex>', 'the holder', pubkey)
    .action(async (o: { user: string }) => withCards(config(), async (ctx) => {
      const account = await accounts.findByPubkey(ctx.sql, o.user);
      const list = account ? await listCards(ctx.sql, account.id) : [];
      if (!list.length) console.log('no cards');
      for (const c of list) console.log(describe(c));
    }));

  for (const [name, enabled] of [['on', true], ['off', false]] as const) {
    card.command(name)
      .description(enabled ? 'let a card pay again' : 'stop a card from paying (taps are refused)')
      .argument('<id>', 'card id')
      .action(async (id: string) => withCards(config(), async (ctx) => console.log(describe(await setEnabled(ctx.sql, await holderOf(ctx, id), enabled, id)))));
  }

  card.command('limit')
    .description("change a card's limits")
    .argument('<id>', 'card id')
    .option('--tap <sats>', 'most per payment', sats)
    .option('--day <sats>', 'most per UTC day', sats)
    .action(async (id: string, o: { tap?: bigint; day?: bigint }) => withCards(config(), async (ctx) => {
      if (o.tap === undefined && o.day === undefined) throw new CardError('invalid_request', 'give --tap, --day or both');
      const accountId = await holderOf(ctx, id);
      let c: Card | undefined;
      if (o.tap !== undefined) c = await setLimit(ctx.sql, accountId, 'tap', o.tap, id);
      if (o.day !== undefined) c = await setLimit(ctx.sql, accountId, 'day', o.day, id);
      console.log(describe(c!));
    }));

  card.command('wipe')
    .description('retire a card at once and print its reset data (JSON for the Boltcard NFC Programmer app\'s reset)')
    .argument('<id>', 'card id')
    .action(async (id: string) => withCards(config(), async (ctx) => {
      console.log(JSON.stringify(await wipeCard(ctx, await holderOf(ctx, id), id)));
    }));
}
