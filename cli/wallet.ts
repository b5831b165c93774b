// Wallet commands: `flash ledger check`, `flash account show`, `flash dev pay|invoice`.
import { InvalidArgumentError, type Command } from 'commander';
import { nip19 } from 'nostr-tools';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import { connect } from '../core/db.ts';
import * as accounts from '../core/ledger/accounts.ts';
import { check, ledgerRules } from '../core/ledger/check.ts';
import { balance } from '../core/ledger/ledger.ts';
import { paymentRules } from '../core/payments/check.ts';
import { mintRules } from '../core/mint/check.ts';
import { onchainRules } from '../core/onchain/check.ts';
import { history, type Transaction } from '../core/payments/transactions.ts';
import { EXTERNAL_FAKE_NODE } from '../workers/lightning/backend.ts';
import { FakeLightningNode } from '../workers/lightning/fake.ts';
import { LightningError } from '../workers/lightning/port.ts';
import { withContext } from './with-context.ts';
import { HEX32 } from '../core/hex.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An npub, a hex pubkey or an account id → the account, if any. */
async function findAccount(ctx: Context, who: string): Promise<accounts.Account | undefined> {
  if (UUID.test(who)) return accounts.get(ctx.sql, who.toLowerCase());
  let hex = who.toLowerCase();
  if (hex.startsWith('npub1')) {
    const decoded = nip19.decode(hex);
    if (decoded.type !== 'npub') throw new Error('not an npub');
    hex = decoded.data;
  }
  if (!HEX32.test(hex)) throw new Error('give an npub, a 64-hex pubkey or an account id');
  return accounts.findByPubkey(ctx.sql, hex);
}

function msat(value: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw new InvalidArgumentError('expected a whole number of millisatoshi');
  return BigInt(value);
}

const sats = (msat: bigint) => `${msat / 1000n}${msat % 1000n ? `.${(msat % 1000n).toString().padStart(3, '0')}` : ''} sat`;

function describeLine(t: Transaction): string {
  const sign = t.direction === 'incoming' ? '+' : '-';
  const fee = t.feeMsat ? ` (fee ${sats(t.feeMsat)})` : '';
  const what = t.memo ?? t.description ?? t.failureReason ?? '';
  return `${t.createdAt.toISOString()}  ${t.kind.padEnd(9)} ${t.status.padEnd(9)} ${(sign + sats(t.amountMsat ?? 0n)).padStart(16)}${fee}  ${what}`;
}

/** The fake "rest of the network", for trying the service on regtest without real nodes. */
async function externalNode(ctx: Context): Promise<FakeLightningNode> {
  if (ctx.config.LIGHTNING_BACKEND !== 'fake') throw new Error('flash dev needs LIGHTNING_BACKEND=fake');
  return FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
}

export function walletCommands(program: Command, config: () => Config): void {
  program.command('ledger')
    .description('the double-entry ledger')
    .command('check')
    .description('verify the ledger and payment invariants on the live database; exits 1 on any violation')
    .action(async () => {
      const sql = connect(config().DATABASE_URL, { max: 1 });
      try {
        const violations = await check(sql, { ...ledgerRules, ...paymentRules, ...mintRules, ...onchainRules });
        for (const v of violations) console.log(`VIOLATION ${v.rule}: ${v.detail}`);
        console.log(violations.length ? `${violations.length} violation(s)` : 'ledger is consistent');
        process.exitCode = violations.length ? 1 : 0;
      } finally {
        await sql.end();
      }
    });

  program.command('account')
    .description('holder accounts')
    .command('show')
    .description('print an account\'s balance and recent history')
    .argument('<who>', 'npub, hex pubkey or account id')
    .option('-n, --limit <n>', 'history lines', '20')
    .action(async (who: string, opts: { limit: string }) => withContext(config(), async (ctx) => {
      const account = await findAccount(ctx, who);
      if (!account) {
        console.error('no account (a user account is created on first use)');
        process.exitCode = 1;
        return;
      }
      console.log(`account ${account.id} (${account.kind}${account.pubkey ? ` ${nip19.npubEncode(account.pubkey)}` : ''})`);
      console.log(`balance ${sats(await balance(ctx.sql, account.id))}`);
      const { items } = await history(ctx.sql, { accountId: account.id, limit: Math.max(1, Number(opts.limit) || 20), includeUnpaid: true });
      for (const t of items) console.log(`  ${describeLine(t)}`);
    }));

  const dev = program.command('dev').description('regtest helpers: an outside Lightning node (fake backend only)');
  dev.command('pay')
    .description('pay one of our invoices from the outside node')
    .argument('<bolt11>', 'payment request')
    .option('--amount <msat>', 'amount for an amountless invoice, in msat', msat)
    .action(async (bolt11: string, opts: { amount?: bigint }) => withContext(config(), async (ctx) => {
      const node = await externalNode(ctx);
      const status = await node.payInvoice({ paymentRequest: bolt11, amountMsat: opts.amount, maxFeeMsat: 1_000_000n, timeoutSeconds: 30 })
        .catch((err: unknown) => {
          if (err instanceof LightningError) return { status: 'failed' as const, reason: `${err.code}: ${err.message}` };
          throw err;
        })
        .finally(() => node.close());
      console.log(status.status === 'failed' ? `failed: ${status.reason}` : status.status);
      process.exitCode = status.status === 'succeeded' ? 0 : 1;
    }));
  dev.command('invoice')
    .description('make an invoice of the outside node, for our node to pay')
    .argument('<msat>', 'amount in msat (0: amountless)', msat)
    .option('-d, --description <text>', 'description', 'flash dev invoice')
    .action(async (amount: bigint, opts: { description: string }) => withContext(config(), async (ctx) => {
      const node = await externalNode(ctx);
      const inv = await node.createInvoice({ amountMsat: amount > 0n ? amount : undefined, description: opts.description, expirySeconds: 3600 });
      console.log(inv.paymentRequest);
    }));
}
