// CPU time of this process and of named others, read from Linux /proc: on a shared machine
// throughput swings with the other load, the CPU an operation costs much less.
import { readdirSync, readFileSync } from 'node:fs';

/** /proc counts CPU time in USER_HZ ticks, 100 a second on Linux. */
const TICKS_PER_MS = 100 / 1000;

/**
 * CPU milliseconds so far: this process's (`bench`), and the sum over the processes whose
 * command line contains each of `names` (e.g. 'postgres: 15/main: postgres flash').
 */
export function cpuNow(names: string[]): Record<string, number> {
  const usage = process.cpuUsage();
  const out: Record<string, number> = { bench: (usage.user + usage.system) / 1000 };
  for (const name of names) out[name] = 0;
  if (!names.length) return out;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d) && d !== String(process.pid))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const name = names.find((n) => cmd.includes(n));
      if (!name) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[name]! += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
    } catch { /* the process ended meanwhile */ }
  }
  return out;
}

/** CPU milliseconds per operation between two `cpuNow()` readings, and their sum (`total`). */
export function cpuPerOp(before: Record<string, number>, after: Record<string, number>, n: number): Record<string, number> {
  const per = Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k]! - (before[k] ?? 0)) / n)]));
  const total = Object.values(per).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries({ ...per, total }).map(([k, v]) => [k, Math.round(v * 100) / 100]));
}
