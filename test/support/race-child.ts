// A separate process spending from shared accounts, for races the database must decide: its
// own context (PostgreSQL pool, group committers, Redis), so nothing in one process serialises
// its requests against another's. Reads a job (JSON) from argv, prints `ready`, waits for a
// line on stdin (every racer is released at once), fires every item concurrently, prints the
// outcomes as one JSON line and exits.
import { createInterface } from 'node:readline';
import { budgetGuard } from '../../bots/nwc/budget.ts';
import { runBatch } from '../../core/business/batches.ts';
import { parseConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { payInvoice } from '../../core/lightning/pay.ts';
import { createLogger } from '../../core/log.ts';
import { transfer } from '../../core/payments/transfer.ts';

export type RaceItem =
  | { kind: 'pay'; accountId: string; paymentRequest: string; maxFeeMsat: string; key: string; budget?: { connectionId: string; eventId: string } }
  | { kind: 'transfer'; accountId: string; to: string; amountMsat: string; key: string }
  /** Runs a business zap batch's job (as a worker would; the same batch may run in two racers). */
  | { kind: 'batch'; batchId: string; key: string };
export interface RaceJob { env: Record<string, string>; items: RaceItem[] }
export type RaceOutcome = { key: string; status: string } | { key: string; error: string };

const job = JSON.parse(process.argv[2]!) as RaceJob;
const ctx = await createContext(parseConfig(job.env), { log: createLogger({ level: 'silent', pretty: false }), migrate: false });

async function run(item: RaceItem): Promise<{ status: string }> {
  if (item.kind === 'batch') {
    const { paid, failed, pending } = await runBatch(ctx, item.batchId);
    return { status: `paid ${paid}, failed ${failed}, pending ${pending}` };
  }
  if (item.kind === 'transfer') {
    return transfer(ctx, { fromAccountId: item.accountId, toAccountId: item.to, amountMsat: BigInt(item.amountMsat), idempotencyKey: item.key });
  }
  return payInvoice(ctx, {
    accountId: item.accountId, paymentRequest: item.paymentRequest, maxFeeMsat: BigInt(item.maxFeeMsat), idempotencyKey: item.key,
    waitMs: 60_000, guard: item.budget && { guard: budgetGuard, data: item.budget },
  });
}

process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const outcomes: RaceOutcome[] = await Promise.all(job.items.map((item) => run(item).then(
  (r) => ({ key: item.key, status: r.status }),
  (err: { code?: string | number; message?: string }) => ({ key: item.key, error: String(err.code ?? err.message) }),
)));
process.stdout.write(JSON.stringify(outcomes) + '\n');
await closeContext(ctx);
process.exit(0);
