// Every queue's jobs, declared once: name → queue, payload schema, result schema, retries.
// Features add their jobs here so that producers and processors share one typed contract.
import type { JobMap } from './queue.ts';

export const jobs = {} satisfies JobMap;

export type Jobs = typeof jobs;
