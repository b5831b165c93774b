// BTCPay Server stores of a business: `flash business btcpay-connection` (the store's Lightning
// wallet is the business account, through BTCPay's Nostr plugin: "type=nwc;key=…"), `flash
// business btcpay link` (webhooks, rewards, payouts through Greenfield), `flash business rewards set`.
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import { businessByPubkey, type Business } from '../core/business/business.ts';
import { BtcpayError } from '../core/btcpay/errors.ts';
import { webhookPath } from '../core/btcpay/links.ts';
import { setRewardRule } from '../core/btcpay/rewards.ts';
import { linkStore, requiredPermissions } from '../workers/btcpay/link.ts';
import { parsePubkey } from '../core/nostr/keys.ts';
import { ConnectionError, createConnection, type Connection } from '../bots/nwc/connections.ts';
import type { Scope } from '../bots/nwc/nip47.ts';
import { withContext } from './with-context.ts';

/**
 * What BTCPay's NostrWalletConnectLightningClient uses: it refuses a wallet without the first
 * four, invoices with make_invoice, follows payment_received notifications (else polls
 * list_transactions), pays refunds and payouts with pay_invoice, shows get_balance.
 */
export const btcpayScopes: Scope[] = ['get_info', 'make_invoice', 'lookup_invoice', 'list_transactions', 'pay_invoice', 'get_balance', 'notifications'];

/** A wallet connection on the business's own account, as the connection string a store pastes. */
export async function btcpayConnection(ctx: Context, business: Business, opts: { budgetSats?: bigint } = {}): Promise<{ connection: Connection; connectionString: string }> {
  const { connection, uri } = await createConnection(ctx, {
    accountId: business.accountId, name: `BTCPay store of ${business.name}`, scopes: btcpayScopes, budgetSats: opts.budgetSats,
  });
  return { connection, connectionString: `type=nwc;key=${uri}` };
}

export function pubkeyArgument(v: string): string {
  try {
    return parsePubkey(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function sats(value: string): bigint {
  if (!/^\d{1,16}$/.test(value) || BigInt(value) === 0n) throw new InvalidArgumentError('expected a whole number of sats, at least 1');
  return BigInt(value);
}

/** The business registered for a key, or the command fails with a message (exit code 2). */
export async function requireBusiness(ctx: Context, pubkey: string, command: string): Promise<Business | undefined> {
  const business = await businessByPubkey(ctx, pubkey);
  if (!business) {
    console.error(`flash business ${command}: no business with key ${pubkey} (flash business create first)`);
    process.exitCode = 2;
  }
  return business;
}

export function btcpayCommands(business: Command, config: () => Config): void {
  business.command('btcpay-connection')
    .description("print the Lightning connection string for a BTCPay store whose wallet is the business's account (Nostr plugin)")
    .argument('<business>', "the business's key (npub or hex)", pubkeyArgument)
    .option('--budget-sats <n>', 'cap on what the store may pay out (refunds, payouts) per month, in sats', sats)
    .addHelpText('after', '\nPaste the output in BTCPay: Store → Lightning → "Use custom node" → connection string.')
    .action(async (pubkey: string, o: { budgetSats?: bigint }) => withContext(config(), async (ctx) => {
      const b = await requireBusiness(ctx, pubkey, 'btcpay-connection');
      if (!b) return;
      try {
        const { connection, connectionString } = await btcpayConnection(ctx, b, o);
        console.error(`connection ${connection.id}: ${connection.scopes.join(' ')}${connection.budgetMsat ? `, budget ${connection.budgetMsat / 1000n} sat monthly` : ''}; revoke with flash nwc revoke ${connection.id}`);
        console.log(connectionString);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
      }
    }));
}

export function btcpayStoreCommands(business: Command, config: () => Config): void {
  const btcpay = business.command('btcpay').description('BTCPay Server stores of a business (webhooks, rewards, payouts)');
  btcpay.command('link')
    .description("link a store: checks the API key's permissions, registers a webhook (its secret sealed here) and records the link")
    .argument('<business>', "the business's key (npub or hex)", pubkeyArgument)
    .requiredOption('--url <url>', 'the BTCPay Server (Greenfield) URL, e.g. https://btcpay.example.com')
    .requiredOption('--store <id>', 'the store id')
    .requiredOption('--api-key <key>', `an API key with ${Object.keys(requiredPermissions).join(', ')}`)
    .action(async (pubkey: string, o: { url: string; store: string; apiKey: string }) => withContext(config(), async (ctx) => {
      const b = await requireBusiness(ctx, pubkey, 'btcpay link');
      if (!b) return;
      try {
        const link = await linkStore(ctx, { businessAccountId: b.accountId, url: o.url, storeId: o.store, apiKey: o.apiKey });
        console.log(`linked store ${link.storeId} at ${link.url}: link ${link.id}, webhook ${link.webhookId} → ${ctx.config.publicUrl}${webhookPath(link.id)}`);
      } catch (err) {
        if (!(err instanceof BtcpayError) && !(err instanceof TypeError)) throw err;
        console.error(`flash business btcpay link: ${err.message}`);
        process.exitCode = 2;
      }
    }));

  business.command('rewards')
    .description('Flash Rewards: what a business pays its BTCPay customers on each settled invoice')
    .command('set')
    .argument('<business>', "the business's key (npub or hex)", pubkeyArgument)
    .requiredOption('--percent <p>', 'percent of each settled invoice, e.g. 2 or 2.5')
    .requiredOption('--max-sats <n>', 'the most one invoice earns, in sats')
    .action(async (pubkey: string, o: { percent: string; maxSats: string }) => withContext(config(), async (ctx) => {
      const b = await requireBusiness(ctx, pubkey, 'rewards set');
      if (!b) return;
      try {
        const rule = await setRewardRule(ctx.sql, b.accountId, { percent: o.percent, maxSats: o.maxSats });
        console.log(`rewards of ${b.name}: ${rule.basisPoints / 100} % of each settled invoice, at most ${rule.maxMsat / 1000n} sats`);
      } catch (err) {
        if (!(err instanceof BtcpayError)) throw err;
        console.error(`flash business rewards set: ${err.message}`);
        process.exitCode = 2;
      }
    }));
}
