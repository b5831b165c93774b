// Signs a slice of the dataset on its own thread (seeding 1,000,000 events is CPU-bound).
import { parentPort, workerData } from 'node:worker_threads';
import { generate } from './dataset.ts';

const { start, end, salt } = workerData as { start: number; end: number; salt?: string };
const CHUNK = 5000;
for (let i = start; i < end; i += CHUNK) {
  parentPort!.postMessage(generate(i, Math.min(end, i + CHUNK), salt).map((e) => JSON.stringify(e)));
}
parentPort!.postMessage(null);
