// A redis-server of the test's own on a free loopback port, which the test may flush, kill and
// restart (the suite's shared Redis is never touched). No persistence unless asked: a restart
// comes back empty, as a lost machine's replacement would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './process.ts';

export class RedisServer {
  readonly port: number;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'flash-redis-'));
  readonly #args: string[];
  #child?: ChildProcess;
  #exited?: Promise<void>;

  private constructor(port: number, args: string[]) {
    this.port = port;
    this.#args = args;
  }

  /** `args` are extra redis-server options, e.g. `['--appendonly', 'yes']`. */
  static async start(args: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.#args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      void this.#exited!.then(() => reject(new Error(`redis-server exited:\n${out}`)));
    });
  }

  /** SIGKILL: no goodbye, no save. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
