#!/usr/bin/env node
// Bootstrap run before `npm start` and `npm test`: dependencies, then PostgreSQL and Redis.
// Plain JavaScript with no dependencies, because it runs on whatever `node` the machine has
// before `npm install` has brought the project's own Node 24.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const say = (msg) => console.error(`[setup] ${msg}`);

function loadDotEnv() {
  const file = path.join(root, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

function ensureDependencies() {
  // Content, not mtimes: a fresh checkout's lockfile is always newer than an install.
  const lock = readFileSync(path.join(root, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = path.join(root, 'node_modules', '.flash-lock-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  say('installing dependencies (npm ci)…');
  // npm runs on the machine's Node here, which installs the project's own Node 24: its
  // EBADENGINE warnings about that older Node are noise, so only errors are shown.
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci failed');
  mkdirSync(path.dirname(stamp), { recursive: true });
  writeFileSync(stamp, digest);
}

function answers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host, port, what, seconds = 30) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await answers(host, port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not start listening on ${host}:${port} within ${seconds}s`);
}

const isLoopback = (host) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
const canManage = () => process.getuid?.() === 0 && existsSync('/etc/debian_version');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts }).toString();

let aptUpdated = false;
function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) { say('apt-get update…'); run('apt-get', ['update', '-qq'], { env }); aptUpdated = true; }
  say(`apt-get install ${pkgs.join(' ')}…`);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

function manualHelp(what, url) {
  return `${what} is not answering at ${url}, and this machine is not one where it can be set up ` +
    `automatically (that needs root on Debian and a loopback address). Start it yourself, e.g.\n` +
    (what === 'PostgreSQL'
      ? `  sudo apt-get install postgresql && sudo pg_ctlcluster <version> main start\n` +
        `  or: docker compose up -d postgres\n  then set DATABASE_URL=postgres://USER:PASS@HOST:PORT/flash`
      : `  sudo apt-get install redis-server && redis-server --daemonize yes\n` +
        `  or: docker compose up -d redis\n  then set REDIS_URL=redis://HOST:PORT`);
}

function pgVersion() {
  const dir = '/usr/lib/postgresql';
  const versions = existsSync(dir) ? readdirSync(dir).filter((v) => existsSync(`${dir}/${v}/bin/postgres`)) : [];
  return versions.sort((a, b) => Number(b) - Number(a))[0];
}

async function ensurePostgres() {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flash');
  const host = url.hostname;
  const port = Number(url.port || 5432);
  if (await answers(host, port)) return;
  if (!isLoopback(host) || !canManage()) throw new Error(manualHelp('PostgreSQL', url.host));
  if (!pgVersion()) aptInstall(['postgresql']);
  const version = pgVersion();
  const conf = `/etc/postgresql/${version}/main`;
  if (!existsSync(conf)) run('pg_createcluster', [version, 'main', '--port', String(port)]);
  // Local development cluster: the default URL carries no password, so trust loopback for
  // the postgres role only. Production points DATABASE_URL at a managed server instead.
  const hba = `${conf}/pg_hba.conf`;
  const trust = 'host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n';
  const current = readFileSync(hba, 'utf8');
  if (!current.startsWith(trust)) writeFileSync(hba, trust + current);
  run('sed', ['-i', `s/^#\\?port = .*/port = ${port}/`, `${conf}/postgresql.conf`]);
  // The package's own scripts may have started the cluster already: then restart it so the
  // port and the trust lines take effect.
  const running = spawnSync('pg_ctlcluster', [version, 'main', 'status'], { stdio: 'ignore' }).status === 0;
  say(`${running ? 'restarting' : 'starting'} PostgreSQL ${version} on port ${port}…`);
  run('pg_ctlcluster', [version, 'main', running ? 'restart' : 'start']);
  await waitFor(host, port, 'PostgreSQL');
}

async function ensureRedis() {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await answers(host, port)) return;
  if (!isLoopback(host) || !canManage()) throw new Error(manualHelp('Redis', url.host));
  if (!existsSync('/usr/bin/redis-server')) {
    aptInstall(['redis-server']);
    if (await answers(host, port)) return; // the package started it
  }
  say(`starting Redis on port ${port}…`);
  run('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes',
    '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/redis-server.log', '--appendonly', 'yes']);
  await waitFor(host, port, 'Redis');
}

/** The Node that `npm start`/`npm test` run flash on: the project's own (node_modules/.bin first on PATH), else this one. */
function nodeInUse() {
  const own = path.join(root, 'node_modules', '.bin', 'node');
  if (!existsSync(own)) return `${process.version} (the machine's)`;
  return `${execFileSync(own, ['--version']).toString().trim()} (the project's)`;
}

try {
  loadDotEnv();
  ensureDependencies();
  await ensurePostgres();
  await ensureRedis();
  say(`flash runs on Node ${nodeInUse()}`);
} catch (err) {
  say(err.message);
  process.exit(1);
}
