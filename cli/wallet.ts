// Wallet commands: `flash ledger check`, `flash account show`, `flash dev pay|invoice`.
import type { Command } from 'commander';
import type { Config } from '../core/config.ts';
import { connect } from '../core/db.ts';
import { check } from '../core/ledger/check.ts';

export function walletCommands(program: Command, config: () => Config): void {
  program.command('ledger')
    .description('the double-entry ledger')
    .command('check')
    .description('verify the ledger invariants on the live database; exits 1 on any violation')
    .action(async () => {
      const sql = connect(config().DATABASE_URL, { max: 1 });
      try {
        const violations = await check(sql);
        for (const v of violations) console.log(`VIOLATION ${v.rule}: ${v.detail}`);
        console.log(violations.length ? `${violations.length} violation(s)` : 'ledger is consistent');
        process.exitCode = violations.length ? 1 : 0;
      } finally {
        await sql.end();
      }
    });
}
