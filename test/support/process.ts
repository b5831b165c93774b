// Runs `flash` as a real child process on the project's Node binary, for end-to-end tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

export const root = path.resolve(import.meta.dirname, '..', '..');

/**
 * A port nothing listens on, for tests of an unreachable peer. Not for a child to bind: the
 * port is free only until someone else takes it; a child binds port 0 and says where it
 * listens (see `listensAt`).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

// A test that fails before stopping its process must not leave it running after the run.
const running = new Set<ChildProcess>();
process.once('exit', () => { for (const c of running) c.kill('SIGKILL'); });

export interface FlashProcess { child: ChildProcess; output: () => string; exited: Promise<number | null> }

/** Starts `flash <args>` and resolves once `readyLine` has been printed. */
export async function runFlash(args: string[], env: Record<string, string>, readyLine = /flash is ready/, timeoutMs = 30_000): Promise<FlashProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/flash.ts'), ...args], {
    cwd: root,
    env: { ...process.env, LOG_PRETTY: 'false', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { running.delete(child); resolve(code); }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flash did not get ready in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (readyLine.test(out)) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`flash exited with ${code} before ready:\n${out}`)); });
  });
  return { child, output: () => out, exited };
}

/** Where a started `flash` says a role listens, from its ready lines (`relay: ws://…`, `HTTP API: http://…`). */
export async function listensAt(p: FlashProcess, role: 'relay' | 'HTTP API' | 'metrics'): Promise<string> {
  const line = new RegExp(`^  ${role}: (\\S+)[ \\n]`, 'm');
  const gone = p.exited.then(() => { throw new Error(`flash exited without saying where its ${role} listens:\n${p.output()}`); });
  gone.catch(() => {}); // only a failure while we wait matters
  // The ready lines may arrive in more than one chunk.
  for (let m = line.exec(p.output()); ; m = line.exec(p.output())) {
    if (m) return m[1]!;
    await Promise.race([once(p.child.stdout!, 'data'), gone]);
  }
}

/** Runs a one-shot `flash <args>` to its end: its exit code and output (stdout then stderr). */
export async function flashCommand(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin/flash.ts'), ...args], { cwd: root, env: { ...process.env, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}
