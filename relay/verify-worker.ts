// A verification thread: checks batches of events sent by verify-pool.ts (a JSON array).
import { parentPort } from 'node:worker_threads';
import type { NostrEvent } from './types.ts';
import { verifyError } from './verify.ts';

parentPort!.on('message', (batch: { seq: number; events: string }) => {
  const events = JSON.parse(batch.events) as NostrEvent[];
  parentPort!.postMessage({ seq: batch.seq, results: events.map((e) => verifyError(e) ?? null) });
});
// Loaded (the native binding included): the pool may now stop this thread safely.
parentPort!.postMessage('loaded');
