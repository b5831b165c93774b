// The LND variables: defaults, validation, and the macaroon kept out of `flash config`.
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, parseConfig } from '../../core/config.ts';

describe('LND configuration', () => {
  it('defaults to the embedded backend and LND on its usual port', () => {
    const c = parseConfig({});
    expect([c.LIGHTNING_BACKEND, c.LND_SOCKET, c.LND_CERT, c.LND_MACAROON]).toEqual(['fake', '127.0.0.1:10009', undefined, undefined]);
  });

  it('takes host:port sockets, IPv6 in brackets, and refuses the rest', () => {
    for (const socket of ['lnd:10009', '10.0.0.5:10009', '[::1]:10009']) expect(parseConfig({ LND_SOCKET: socket }).LND_SOCKET).toBe(socket);
    for (const socket of ['lnd', 'lnd:', 'http://lnd:10009', '::1:10009']) expect(() => parseConfig({ LND_SOCKET: socket })).toThrow(ConfigError);
    expect(() => parseConfig({ LIGHTNING_BACKEND: 'cln' })).toThrow(ConfigError);
  });

  it('never prints the macaroon', () => {
    const shown = describeConfig(parseConfig({ LIGHTNING_BACKEND: 'lnd', LND_MACAROON: '0201036c6e64' }));
    expect(shown.find((v) => v.name === 'LND_MACAROON')?.value).toBe('********');
    expect(JSON.stringify(shown)).not.toContain('0201036c6e64');
  });
});
