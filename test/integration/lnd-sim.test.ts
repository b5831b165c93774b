// The LND stand-in started on its own, as for manual use: it prints where its nodes listen
// and how to authenticate, and the adapter connects with exactly that.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLndBackend } from '../../workers/lightning/lnd.ts';
import { root } from '../support/process.ts';

interface Printed {
  network: string;
  certPath: string;
  cert: string;
  nodes: Array<{ alias: string; pubkey: string; socket: string; macaroon: string; macaroonPath: string }>;
}

describe('node test/sims/lnd/main.ts', () => {
  it('prints sockets, certificate and macaroons as JSON, serves them, and cleans up on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(root, 'test/sims/lnd/main.ts'), 'carol', 'dave'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const parse = (): Printed | undefined => { try { return JSON.parse(out) as Printed; } catch { return undefined; } };
    await expect.poll(parse, { timeout: 20_000 }).toBeDefined();
    const printed = parse()!;
    expect(printed.network).toBe('regtest');
    expect(printed.nodes.map((n) => n.alias)).toEqual(['carol', 'dave']);

    const dave = printed.nodes[1]!;
    const backend = createLndBackend({ NETWORK: 'regtest', LND_SOCKET: dave.socket, LND_CERT: printed.certPath, LND_MACAROON: dave.macaroon });
    await expect(backend.getInfo()).resolves.toMatchObject({ alias: 'dave', pubkey: dave.pubkey, network: 'regtest' });
    await backend.close();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(printed.certPath)).toBe(false);
  });
});
