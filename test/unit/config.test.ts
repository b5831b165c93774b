import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, parseConfig } from '../../core/config.ts';

describe('config', () => {
  it('has working defaults for a regtest machine', () => {
    const c = parseConfig({});
    expect(c.NETWORK).toBe('regtest');
    expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/flash');
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.relayUrl).toBe('ws://127.0.0.1:7777');
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('keeps local state per user, not in the checkout', () => {
    expect(parseConfig({ XDG_DATA_HOME: '/srv/xdg', HOME: '/home/ana' }).DATA_DIR).toBe('/srv/xdg/flash');
    expect(parseConfig({ HOME: '/home/ana' }).DATA_DIR).toBe('/home/ana/.local/share/flash');
    expect(parseConfig({ XDG_DATA_HOME: 'relative', HOME: '/home/ana' }).DATA_DIR).toBe('/home/ana/.local/share/flash');
    expect(parseConfig({ DATA_DIR: '/var/lib/flash', HOME: '/home/ana' }).DATA_DIR).toBe('/var/lib/flash');
  });

  it('names the variable and the problem', () => {
    try {
      parseConfig({ API_PORT: 'eighty', NETWORK: 'moon' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as ConfigError).message;
      expect(msg).toMatch(/API_PORT: .*"eighty"/);
      expect(msg).toMatch(/NETWORK: .*"moon"/);
    }
  });

  it('requires a master key off regtest, and never echoes a bad one', () => {
    expect(() => parseConfig({ NETWORK: 'mainnet' })).toThrow(/MASTER_KEY: required when NETWORK=mainnet/);
    const err = (() => { try { parseConfig({ MASTER_KEY: 'not-hex-topsecret' }); } catch (e) { return e as Error; } })();
    expect(err?.message).toMatch(/MASTER_KEY: must be 64 hex/);
    expect(err?.message).not.toContain('topsecret');
  });

  it('masks secrets and URL passwords when described', () => {
    const c = parseConfig({ MASTER_KEY: 'ab'.repeat(32), DATABASE_URL: 'postgres://flash:hunter2@db:5432/flash' });
    const shown = JSON.stringify(describeConfig(c));
    expect(shown).not.toContain('ab'.repeat(32));
    expect(shown).not.toContain('hunter2');
    expect(describeConfig(c).find((r) => r.name === 'MASTER_KEY')?.value).toBe('********');
  });
});
