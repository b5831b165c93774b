// Every `flash` command, each with its own --help.
import { Command } from 'commander';
import { ConfigError, describeConfig, loadConfig, type Config } from '../core/config.ts';
import { closeContext, createContext } from '../core/context.ts';
import { connect, ensureDatabase } from '../core/db.ts';
import { createLogger } from '../core/log.ts';
import { migrate } from '../core/migrate.ts';
import { roles, start } from './start.ts';
import { botModules } from '../bots/role.ts';
import { botRelays } from '../bots/identity.ts';
import { loadBotKey } from '../core/nostr/keys.ts';
import { walletCommands } from './wallet.ts';
import { nwcCommands } from './nwc.ts';

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
    const c = config();
    await ensureDatabase(c.DATABASE_URL);
    const sql = connect(c.DATABASE_URL, { max: 1 });
    try {
      const applied = await migrate(sql);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await sql.end();
    }
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
  .action(async () => {
    const ctx = await createContext(config(), { log: createLogger({ level: 'warn' }) });
    try {
      console.log(`re-sealed ${await ctx.secrets.rotate()} secret(s) under key ${ctx.keyring.currentId}`);
    } finally {
      await closeContext(ctx);
    }
  });

program.command('bots')
  .description('the Nostr bot accounts')
  .command('info')
  .description("each bot's public key (creating a bot's key if it has none yet), profile and relays")
  .option('--json', 'as JSON')
  .action(async (opts: { json?: boolean }) => {
    const ctx = await createContext(config(), { log: createLogger({ level: 'warn' }) });
    try {
      const relays = botRelays(ctx.config);
      const bots = [];
      for (const bot of botModules) {
        const key = await loadBotKey(ctx.secrets, bot.name, bot.configuredKey(ctx.config));
        bots.push({ name: bot.name, title: bot.title, npub: key.npub, pubkey: key.pubkey, profile: bot.profile(ctx.config) });
      }
      if (opts.json) return console.log(JSON.stringify({ relays, bots }, null, 2));
      for (const b of bots) {
        console.log(`${b.title}: ${b.npub}`);
        console.log(`  hex      ${b.pubkey}`);
        for (const field of ['name', 'nip05', 'lud16'] as const) if (b.profile[field]) console.log(`  ${field.padEnd(8)} ${b.profile[field]}`);
      }
      console.log(`relays: ${relays.join(' ')}`);
    } finally {
      await closeContext(ctx);
    }
  });
walletCommands(program, config);
nwcCommands(program, config);
