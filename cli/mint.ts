// `flash mint`: the Cashu mint's keysets.
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import { mintKeys, rotateKeyset } from '../core/mint/keys.ts';
import { withContext } from './with-context.ts';

export function mintCommands(program: Command, config: () => Config): void {
  const mint = program.command('mint').description('the Cashu mint (see docs/mint.md)');
  mint.command('keysets')
    .description('every keyset: id, unit, active, input fee')
    .action(async () => withContext(config(), async (ctx) => {
      for (const k of (await mintKeys(ctx, true)).byId.values()) {
        console.log(`${k.id}  ${k.unit}  ${k.active ? 'active  ' : 'inactive'}  input_fee_ppk ${k.inputFeePpk}`);
      }
    }));
  mint.command('rotate')
    .description('make a new active keyset and retire the current one (its eCash stays spendable)')
    .option('--fee <ppk>', 'input fee of the new keyset, in parts per thousand of a sat (default MINT_INPUT_FEE_PPK)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new InvalidArgumentError('an integer from 0 to 100000');
      return n;
    })
    .action(async (opts: { fee?: number }) => withContext(config(), async (ctx) => {
      const r = await rotateKeyset(ctx, opts.fee);
      console.log(`active keyset ${r.id}${r.retired.length ? `; retired ${r.retired.join(', ')}` : ''}`);
    }));
}
