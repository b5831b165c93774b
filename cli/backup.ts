// `flash backup`: a base backup of the database server with pg_basebackup (plain format, the
// WAL it needs streamed into it, a manifest checked by pg_verifybackup). Restored alone it is
// the database as of the backup's end; with the server's WAL archive, any later moment
// (point-in-time recovery, docs/operations.md).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the PostgreSQL programs are: `pgBin`, else the newest Debian server's, else PATH. */
export function serverProgram(name: string, pgBin?: string): string {
  if (pgBin) return path.join(pgBin, name);
  const root = '/usr/lib/postgresql';
  const newest = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', name))).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  return newest ? path.join(root, newest, 'bin', name) : name;
}

export interface BackupResult { dir: string; label: string; startWal: string }

/**
 * Backs up the server of `databaseUrl` (every database of it: a base backup is of the whole
 * cluster) into a new directory under `into`, named after the time. Needs a role with the
 * REPLICATION attribute and a `replication` line in the server's pg_hba.conf.
 */
export async function backup(databaseUrl: string, into: string, pgBin?: string): Promise<BackupResult> {
  const label = `flash-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const dir = path.resolve(into, label);
  mkdirSync(into, { recursive: true });
  // A fast checkpoint starts the backup at once instead of at the next scheduled checkpoint.
  await run(serverProgram('pg_basebackup', pgBin), ['-d', databaseUrl, '-D', dir, '-X', 'stream', '-c', 'fast', '-l', label, '--manifest-checksums', 'SHA256']);
  await run(serverProgram('pg_verifybackup', pgBin), ['-q', dir]);
  const startWal = /START WAL LOCATION: (\S+)/.exec(readFileSync(path.join(dir, 'backup_label'), 'utf8'))?.[1] ?? '?';
  return { dir, label, startWal };
}
