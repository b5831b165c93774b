// A verification thread: checks batches of events sent by verify-pool.ts.
import { parentPort } from 'node:worker_threads';
import type { NostrEvent } from './types.ts';
import { verifyError } from './verify.ts';

parentPort!.on('message', (batch: { seq: number; events: NostrEvent[] }) => {
  parentPort!.postMessage({ seq: batch.seq, results: batch.events.map((e) => verifyError(e) ?? null) });
});
