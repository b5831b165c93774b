// `flash nwc create|list|revoke`: wallet connections (NIP-47) for apps.
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import { renewalPeriods, type Renewal } from '../bots/nwc/budget.ts';
import { ConnectionError, createConnection, listConnections, revokeConnection, type Connection } from '../bots/nwc/connections.ts';
import { scopes, type Scope } from '../bots/nwc/nip47.ts';
import { withContext } from './with-context.ts';

/** Runs a command; a ConnectionError is the user's mistake, printed with exit code 2. */
function withConnections(config: Config, run: (ctx: Context) => Promise<void>): Promise<void> {
  return withContext(config, async (ctx) => {
    try {
      await run(ctx);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      console.error(err.message);
      process.exitCode = 2;
    }
  });
}

function scopeList(value: string): Scope[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((s) => !(scopes as readonly string[]).includes(s));
  if (unknown.length || !list.length) throw new InvalidArgumentError(`unknown method ${unknown.join(', ')}; choose from ${scopes.join(', ')}`);
  return list as Scope[];
}

function sats(value: string): bigint {
  if (!/^\d{1,16}$/.test(value) || BigInt(value) === 0n) throw new InvalidArgumentError('expected a whole number of sats, at least 1');
  return BigInt(value);
}

function renewal(value: string): Renewal {
  if (!(renewalPeriods as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose from ${renewalPeriods.join(', ')}`);
  return value as Renewal;
}

function isoDate(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO 8601 date, e.g. 2027-01-31 or 2027-01-31T12:00:00Z');
  return d;
}

function describe(c: Connection): string {
  const budget = c.budgetMsat === undefined ? 'no budget' : `budget ${c.budgetMsat / 1000n} sat ${c.renewal}`;
  const expiry = c.expiresAt ? `expires ${c.expiresAt.toISOString()}` : 'no expiry';
  return `${c.id}  ${c.status.padEnd(7)}  ${c.name}  (${budget}, ${expiry}${c.isolated ? ', isolated' : ''})\n    methods: ${c.scopes.join(' ')}`;
}

export function nwcCommands(program: Command, config: () => Config): void {
  const nwc = program.command('nwc').description('wallet connections (NIP-47) for Nostr apps');
  nwc.command('create')
    .description('create a connection and print its nostr+walletconnect:// URI (shown once: the app secret is not kept)')
    .requiredOption('--user <npub|hex>', 'the user whose wallet it connects')
    .option('--name <name>', 'what the connection is for (the app)')
    .option('--methods <m1,m2>', `allowed methods (default all): ${scopes.join(',')}`, scopeList)
    .option('--budget-sats <n>', 'spending limit per renewal period, in sats', sats)
    .option('--renewal <period>', `budget renewal, calendar periods in UTC: ${renewalPeriods.join(', ')} (default monthly with a budget)`, renewal)
    .option('--expires <iso8601>', 'when the connection stops working', isoDate)
    .option('--isolated', 'a sub-wallet of its own (starts empty) instead of the user\'s balance')
    .option('--lud16 <address>', 'the user\'s lightning address, given to the app')
    .option('--json', 'as JSON')
    .action(async (o: { user: string; name?: string; methods?: Scope[]; budgetSats?: bigint; renewal?: Renewal; expires?: Date; isolated?: boolean; lud16?: string; json?: boolean }) =>
      withConnections(config(), async (ctx) => {
        const { connection, uri } = await createConnection(ctx, {
          user: o.user, name: o.name, scopes: o.methods, budgetSats: o.budgetSats, renewal: o.renewal, expiresAt: o.expires, isolated: o.isolated, lud16: o.lud16,
        });
        if (o.json) return console.log(JSON.stringify({ id: connection.id, servicePubkey: connection.servicePubkey, uri }));
        console.log(describe(connection));
        console.log(uri);
      }));

  nwc.command('list')
    .description("a user's connections, newest first")
    .requiredOption('--user <npub|hex>', 'the user')
    .action(async (o: { user: string }) => withConnections(config(), async (ctx) => {
      const list = await listConnections(ctx, o.user).catch((err: unknown) => { throw new ConnectionError((err as Error).message); });
      if (!list.length) console.log('no connections');
      for (const c of list) console.log(describe(c));
    }));

  nwc.command('revoke')
    .description('revoke a connection at once')
    .argument('<id>', 'connection id (from list)')
    .action(async (id: string) => withConnections(config(), async (ctx) => {
      const c = await revokeConnection(ctx, id);
      if (!c) throw new ConnectionError(`no connection ${id}`);
      console.log(`revoked ${c.id} (${c.name}) at ${c.revokedAt!.toISOString()}`);
    }));
}
