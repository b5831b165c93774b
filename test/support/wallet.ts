// A wallet under test: a service context, workers on our fake node (faults injectable), the
// fake "rest of the network" node, and helpers to fund accounts.
import { randomBytes } from 'node:crypto';
import * as accounts from '../../core/ledger/accounts.ts';
import { systemAccounts } from '../../core/ledger/accounts.ts';
import { post } from '../../core/ledger/ledger.ts';
import type { Sql } from '../../core/db.ts';
import type { RunningRole } from '../../core/role.ts';
import { EXTERNAL_FAKE_NODE, OUR_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { lightningWorkers } from '../../workers/lightning/module.ts';
import { startWorkers } from '../../workers/role.ts';
import { createTestContext, type TestContext } from './context.ts';

export interface TestWallet {
  ctx: TestContext;
  node: FakeLightningNode;
  external: FakeLightningNode;
  workers: RunningRole;
  /** A new user account holding `amountMsat` (paid in by the operator). */
  user(amountMsat?: bigint): Promise<string>;
  /** An invoice of the external node, as someone outside would send us. */
  externalInvoice(amountMsat?: bigint, expirySeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export const newPubkey = () => randomBytes(32).toString('hex');
export const newKey = () => randomBytes(8).toString('hex');

/** Pays `amountMsat` into an account from the operator's equity (as funding a test account). */
export const fund = (db: Sql, accountId: string, amountMsat: bigint) => post(db, {
  idempotencyKey: newKey(), kind: 'test.fund', postings: [{ accountId: systemAccounts.equity, amountMsat: -amountMsat }, { accountId, amountMsat }],
});

export async function startTestWallet(env: Record<string, string> = {}): Promise<TestWallet> {
  const ctx = await createTestContext(env);
  const node = await FakeLightningNode.open(ctx, OUR_FAKE_NODE);
  const external = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
  const workers = await startWorkers(ctx, [lightningWorkers(node)]);
  return {
    ctx, node, external, workers,
    async user(amountMsat = 0n) {
      const a = await accounts.forPubkey(ctx.sql, newPubkey());
      if (amountMsat > 0n) await fund(ctx.sql, a.id, amountMsat);
      return a.id;
    },
    async externalInvoice(amountMsat?: bigint, expirySeconds = 600) {
      return (await external.createInvoice({ amountMsat, description: 'outside', expirySeconds })).paymentRequest;
    },
    async close() {
      await workers.stop();
      await external.close();
      await ctx.close();
    },
  };
}
