// The outbound policy against real sockets on loopback: what it refuses never reaches the
// listener; what it allows is capped in size.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Outbound } from '../../core/outbound.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

/** An HTTP server that counts requests and upgrades, answering `body` to each request. */
async function listener(body = '{"ok":true}'): Promise<{ port: number; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((_, res) => { hits++; res.setHeader('content-type', 'application/json'); res.end(body); });
  server.on('connection', () => { hits++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, hits: () => hits, server };
}

const strict = new Outbound();
afterAll(() => strict.close());

describe('outbound policy', () => {
  it('allows public unicast addresses and refuses loopback, private, link-local, multicast and mapped ones', () => {
    for (const ok of ['8.8.8.8', '1.1.1.1', '2606:4700::1111']) expect(strict.allowedAddress(ok), ok).toBe(true);
    for (const bad of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(strict.allowedAddress(bad), bad).toBe(false);
    }
  });

  it('lets OUTBOUND_ALLOW ranges through, and only those', () => {
    const dev = new Outbound({ allow: ['127.0.0.0/8', '::1'] });
    cleanup.push(() => dev.close());
    expect(dev.allowedAddress('127.0.0.5')).toBe(true);
    expect(dev.allowedAddress('::1')).toBe(true);
    expect(dev.allowedAddress('::ffff:127.0.0.1')).toBe(true);
    expect(dev.allowedAddress('10.0.0.1')).toBe(false);
  });

  it('refuses a fetch to a loopback literal or a name resolving to loopback before any byte is sent', async () => {
    const srv = await listener();
    for (const url of [`http://127.0.0.1:${srv.port}/x`, `http://localhost:${srv.port}/x`, `http://[::ffff:127.0.0.1]:${srv.port}/x`]) {
      await expect(strict.fetch(url), url).rejects.toThrow(/^blocked: outbound/);
    }
    expect(srv.hits()).toBe(0);
  });

  it('refuses other schemes', async () => {
    await expect(strict.check('file:///etc/passwd')).rejects.toThrow(/^blocked: outbound/);
  });

  it('reaches a trusted origin (a configured relay or dev host), but no other port of its host', async () => {
    const [a, b] = [await listener(), await listener()];
    const trusting = new Outbound({ trustedOrigins: [`http://127.0.0.1:${a.port}`] });
    cleanup.push(() => trusting.close());
    expect(await (await trusting.fetch(`http://127.0.0.1:${a.port}/x`)).json()).toEqual({ ok: true });
    await expect(trusting.fetch(`http://127.0.0.1:${b.port}/x`)).rejects.toThrow(/^blocked/);
    expect(b.hits()).toBe(0);
  });

  it('caps the response body it reads', async () => {
    const srv = await listener(JSON.stringify({ pad: 'x'.repeat(200_000) }));
    const small = new Outbound({ allow: ['127.0.0.0/8'], maxBytes: 65_536 });
    cleanup.push(() => small.close());
    await expect(small.fetch(`http://127.0.0.1:${srv.port}/big`).then((r) => r.json())).rejects.toThrow();
    const roomy = new Outbound({ allow: ['127.0.0.0/8'], maxBytes: 1_000_000 });
    cleanup.push(() => roomy.close());
    expect((await (await roomy.fetch(`http://127.0.0.1:${srv.port}/big`)).json() as { pad: string }).pad).toHaveLength(200_000);
  });

  it('opens no WebSocket to a refused address: literal (throws) or by name (fails at lookup)', async () => {
    const srv = await listener();
    expect(() => new strict.WebSocket(`ws://127.0.0.1:${srv.port}`)).toThrow(/^blocked: outbound/);
    const ws = new strict.WebSocket(`ws://localhost:${srv.port}`);
    const err = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(err.message).toMatch(/^blocked: outbound/);
    expect(srv.hits()).toBe(0);
  });

  it('closes a WebSocket whose relay sends a message larger than maxBytes', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => new Promise((resolve) => wss.close(resolve)));
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (s) => s.send('x'.repeat(100_000)));
    const small = new Outbound({ allow: ['127.0.0.0/8'], maxBytes: 65_536 });
    cleanup.push(() => small.close());
    const ws = new small.WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const messages: unknown[] = [];
    ws.on('message', (m) => messages.push(m));
    const err = await new Promise<Error & { code?: string }>((resolve) => ws.on('error', resolve));
    expect(err.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(messages).toEqual([]);
  });

  it('caps a stranger-given relay list', () => {
    const few = new Outbound({ maxRelays: 2 });
    cleanup.push(() => few.close());
    expect(few.capRelays(['wss://a', 'wss://a', 'wss://b', 'wss://c'])).toEqual(['wss://a', 'wss://b']);
  });
});
