// Runs racers as processes of their own (test/support/race-child.ts): each is started with its
// job, all are released at once once every one says it is ready, and each answers with its
// outcomes, in its items' order.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { root } from './process.ts';
import type { RaceJob, RaceOutcome } from './race-child.ts';

export async function race(jobs: RaceJob[]): Promise<RaceOutcome[][]> {
  const children = jobs.map((job) => {
    const child = spawn(process.execPath, [path.join(root, 'test/support/race-child.ts'), JSON.stringify(job)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    return { child, next: async () => (await lines.next()).value as string };
  });
  for (const c of children) expect(await c.next()).toBe('ready');
  for (const c of children) c.child.stdin!.write('go\n');
  return Promise.all(children.map(async (c) => JSON.parse(await c.next()) as RaceOutcome[]));
}
