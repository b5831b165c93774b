import type { Config } from '../config.ts';
import { MintError } from './errors.ts';

/** A mint or melt quote's amount (sats) within MINT_MIN_SAT … MINT_MAX_SAT, else 11006. */
export function checkLimits(config: Config, amount: bigint): void {
  if (amount < config.MINT_MIN_SAT || amount > config.MINT_MAX_SAT) {
    throw new MintError(11006, `between ${config.MINT_MIN_SAT} and ${config.MINT_MAX_SAT} sat`);
  }
}
