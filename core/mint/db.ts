// Calls into the mint's PostgreSQL functions (migrations/0027_mint.sql), mapping their
// `mint:<code>` errors to MintError.
import type { Db } from '../ledger/ledger.ts';
import { mintErrorOf } from './errors.ts';

export async function callMint<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw mintErrorOf(err);
  }
}

export const json = (db: Db, v: unknown) => db.json(v as never);
