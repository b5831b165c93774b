// `flash business btcpay-connection`: what a BTCPay store needs to use a business account as
// its Lightning wallet (BTCPay's Nostr plugin, "type=nwc;key=nostr+walletconnect://…").
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import { businessByPubkey, type Business } from '../core/business/business.ts';
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
