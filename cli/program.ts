// Every `flash` command, each with its own --help.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, describeConfig, loadConfig, type Config } from '../core/config.ts';
import { prepareDatabase } from '../core/migrate.ts';
import { backup } from './backup.ts';
import { roles, start } from './start.ts';
import { botKey, botModules } from '../bots/role.ts';
import { botRelays } from '../core/nostr/relays.ts';
import { parsePubkey } from '../core/nostr/keys.ts';
import { BusinessError, createBusiness } from '../core/business/business.ts';
import { walletCommands } from './wallet.ts';
import { onchainCommands } from './onchain.ts';
import { riskCommands } from './risk.ts';
import { nwcCommands } from './nwc.ts';
import { cardCommands } from './cards.ts';
import { keysCommands } from './keys.ts';
import { mintCommands } from './mint.ts';
import { btcpayCommands, btcpayStoreCommands } from './btcpay.ts';
import { sealedColumns } from './sealed-columns.ts';
import { withContext } from './with-context.ts';

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

export const program = new Command('flash')
  .description('Nostr-native Bitcoin payments service: relay, DM bot, wallet connect, zaps')
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true });

program.command('start')
  .description('run roles in this process (default: all of them)')
  .argument('[roles...]', `all | ${Object.keys(roles).join(' | ')}`)
  .addHelpText('after', '\nExample:\n  flash start            # everything, on embedded defaults\n  flash start api workers')
  .action(async (names: string[]) => start(config(), names));

program.command('migrate')
  .description('create the database if missing and apply pending migrations')
  .action(async () => {
    const applied = await prepareDatabase(config());
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  });

program.command('backup')
  .description('take a base backup of the database server (pg_basebackup) into a new directory under <dir>')
  .argument('<dir>', 'where backups are kept')
  .option('--pg-bin <dir>', 'directory of the PostgreSQL programs (default: the newest installed server\'s)')
  .addHelpText('after', '\nRestore and point-in-time recovery: docs/operations.md, "Backups and restore".')
  .action(async (dir: string, opts: { pgBin?: string }) => {
    const b = await backup(config().DATABASE_URL, dir, opts.pgBin);
    console.log(`backup ${b.label} in ${b.dir} (verified; starts at WAL ${b.startWal})`);
  });

program.command('config')
  .description('print the effective configuration (secrets masked)')
  .option('--json', 'as JSON')
  .action((opts: { json?: boolean }) => {
    const rows = describeConfig(config());
    if (opts.json) return console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, r.value])), null, 2));
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value}`);
  });

program.command('secrets')
  .description('manage secrets at rest')
  .command('rotate')
  .description('re-seal every secret under MASTER_KEY (old keys in MASTER_KEYS_RETIRED)')
  .action(async () => withContext(config(), async (ctx) => {
    console.log(`re-sealed ${await ctx.secrets.rotate(sealedColumns)} secret(s) under key ${ctx.keyring.currentId}`);
  }));

program.command('bots')
  .description('the Nostr bot accounts')
  .command('info')
  .description("each bot's public key (creating a bot's key if it has none yet), profile and relays")
  .option('--json', 'as JSON')
  .action(async (opts: { json?: boolean }) => withContext(config(), async (ctx) => {
    const relays = botRelays(ctx.config);
    const bots = [];
    for (const bot of botModules) {
      const key = await botKey(ctx, bot);
      key.close();
      bots.push({ name: bot.name, title: bot.title, npub: key.npub, pubkey: key.pubkey, profile: bot.profile(ctx.config) });
    }
    if (opts.json) return console.log(JSON.stringify({ relays, bots }, null, 2));
    for (const b of bots) {
      console.log(`${b.title}: ${b.npub}`);
      console.log(`  hex      ${b.pubkey}`);
      for (const field of ['name', 'nip05', 'lud16'] as const) if (b.profile[field]) console.log(`  ${field.padEnd(8)} ${b.profile[field]}`);
    }
    console.log(`relays: ${relays.join(' ')}`);
  }));
const business = program.command('business')
  .description('business accounts (zap batches through /api/v1, see docs/api.md)');
business.command('create')
  .description("register a business: its Nostr key authenticates its API calls (NIP-98)")
  .argument('<npub>', "the business's own public key (npub or hex)", (v) => {
    try {
      return parsePubkey(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  })
  .option('--name <name>', 'display name')
  .option('--concurrency <n>', 'payments in flight at once (default BUSINESS_CONCURRENCY)', (v) => Number.parseInt(v, 10))
  .addHelpText('after', '\nExample:\n  flash business create npub1… --name "Coffee shop"')
  .action(async (pubkey: string, opts: { name?: string; concurrency?: number }) => withContext(config(), async (ctx) => {
    try {
      const b = await createBusiness(ctx, { pubkey, name: opts.name, concurrency: opts.concurrency });
      console.log(`business ${b.name}: account ${b.accountId}, key ${b.pubkey}, concurrency ${b.concurrency}`);
      console.log(`fund it by paying an invoice of the account, then POST ${ctx.config.publicUrl}/api/v1/zaps`);
    } catch (err) {
      if (!(err instanceof BusinessError)) throw err;
      program.error(`flash business create: ${err.message}`);
    }
  }));

btcpayCommands(business, config);
btcpayStoreCommands(business, config);
walletCommands(program, config);
onchainCommands(program, config);
riskCommands(program, config);
nwcCommands(program, config);
cardCommands(program, config);
keysCommands(program, config);
mintCommands(program, config);
