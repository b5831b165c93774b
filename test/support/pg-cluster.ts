// PostgreSQL clusters of the test's own (initdb + pg_ctl from the installed server, on free
// loopback ports, in temporary directories), which a test may kill, promote, back up and
// restore; the suite's shared server is never touched. As root the server programs run as
// the `postgres` user (initdb refuses root), as scripts/setup.mjs does.
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

const run = promisify(execFile);

/** The newest installed server's programs (Debian layout), or PG_BIN. */
export function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('no PostgreSQL server programs found (set PG_BIN)');
  return `${root}/${versions[0]}/bin`;
}

const asRoot = process.getuid?.() === 0;
const owner = () => statSync('/var/lib/postgresql');

/** Runs a server program, as `postgres` when we are root. */
export async function pgRun(program: string, args: string[]): Promise<string> {
  const cmd = path.join(pgBin(), program);
  const { stdout } = asRoot ? await run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : await run(cmd, args);
  return stdout;
}

/** A directory the server user may write. */
export function serverDir(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `flash-${tag}-`));
  if (asRoot) chownSync(dir, owner().uid, owner().gid);
  return dir;
}

export interface ClusterOptions {
  /** Name of a standby whose flush every commit waits for (synchronous replication). */
  syncStandby?: string;
  /** Directory WAL segments are archived into (continuous archiving). */
  archiveDir?: string;
}

export class PgCluster {
  readonly dir: string;
  readonly port: number;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** A URL for `database` on this cluster alone. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Settings appended to postgresql.auto.conf (the last value of a setting wins). */
  #configure(settings: Record<string, string | number>): void {
    const lines = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v.replaceAll("'", "''")}'`}\n`);
    appendFileSync(path.join(this.dir, 'postgresql.auto.conf'), lines.join(''));
  }

  /**
   * A new primary: trust on loopback (for replication too), WAL for standbys and archiving.
   * fsync off: the tests kill server processes, never the operating system under them.
   */
  static async primary(opts: ClusterOptions = {}): Promise<PgCluster> {
    const c = new PgCluster(serverDir('pg'), await freePort());
    await pgRun('initdb', ['-D', c.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(path.join(c.dir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n');
    c.#configure({
      port: c.port, listen_addresses: '127.0.0.1', unix_socket_directories: c.dir, max_connections: 60,
      shared_buffers: '32MB', fsync: 'off', wal_level: 'replica', max_wal_senders: 5, hot_standby: 'on', wal_keep_size: '256MB',
      ...(opts.syncStandby ? { synchronous_standby_names: opts.syncStandby, synchronous_commit: 'on' } : {}),
      ...(opts.archiveDir ? { archive_mode: 'on', archive_command: `cp %p ${opts.archiveDir}/%f`, archive_timeout: 1 } : {}),
    });
    await c.start();
    return c;
  }

  /** A streaming standby of `primary`, named `name` (its application_name), started. */
  static async standbyOf(primary: PgCluster, name: string): Promise<PgCluster> {
    const c = new PgCluster(serverDir('pg'), await freePort());
    await pgRun('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', c.dir, '-X', 'stream', '-R', '--no-sync']);
    c.#configure({
      // Promoted, it must not wait for a standby of its own that does not exist yet.
      port: c.port, unix_socket_directories: c.dir, archive_mode: 'off', synchronous_standby_names: '',
      primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}`,
    });
    await c.start();
    return c;
  }

  /** A cluster from a base backup in `backupDir` (copied), recovering from `archiveDir` to `target`. */
  static async restore(backupDir: string, archiveDir: string, target: { time?: Date } = {}): Promise<PgCluster> {
    const c = new PgCluster(serverDir('pg'), await freePort());
    await run('cp', ['-a', `${backupDir}/.`, c.dir]);
    if (asRoot) await run('chown', ['-R', 'postgres:postgres', c.dir]);
    c.#configure({
      port: c.port, unix_socket_directories: c.dir, archive_mode: 'off', restore_command: `cp ${archiveDir}/%f %p`,
      ...(target.time ? { recovery_target_time: target.time.toISOString().replace('T', ' ').replace('Z', '+00'), recovery_target_action: 'promote' } : {}),
    });
    appendFileSync(path.join(c.dir, 'recovery.signal'), '');
    await c.start();
    return c;
  }

  async start(): Promise<void> {
    await pgRun('pg_ctl', ['-D', this.dir, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** SIGKILL to the postmaster, as a lost machine: no shutdown checkpoint, and its backends exit. */
  kill(): void {
    const pid = Number(readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
  }

  /** Makes a standby the primary and waits until it accepts writes. */
  async promote(): Promise<void> {
    await pgRun('pg_ctl', ['-D', this.dir, '-w', '-t', '60', 'promote']);
  }

  /** Stops it if running and removes its directory. */
  async remove(): Promise<void> {
    await pgRun('pg_ctl', ['-D', this.dir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  log(): string {
    return readFileSync(path.join(this.dir, 'server.log'), 'utf8');
  }
}
