import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { Keyring, keyringFromConfig, SecretError } from '../../core/secrets.ts';

const key = (b: number) => new Uint8Array(32).fill(b);
const text = (s: string) => new TextEncoder().encode(s);

describe('keyring', () => {
  it('seals and opens, binding the context', () => {
    const k = new Keyring(key(1));
    const sealed = k.seal(text('nsec'), 'bot:dm');
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:[0-9a-f]{48}:[0-9a-f]+$/);
    expect(new TextDecoder().decode(k.open(sealed, 'bot:dm'))).toBe('nsec');
    expect(() => k.open(sealed, 'bot:nwc')).toThrow(SecretError);
  });

  it('detects tampering', () => {
    const k = new Keyring(key(1));
    const sealed = k.seal(text('nsec'), 'c');
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('00') ? '01' : '00');
    expect(() => k.open(flipped, 'c')).toThrow(SecretError);
  });

  it('opens data of a retired key after rotation and flags it stale', () => {
    const old = new Keyring(key(1));
    const sealed = old.seal(text('x'), 'c');
    const rotated = new Keyring(key(2), [key(1)]);
    expect(new TextDecoder().decode(rotated.open(sealed, 'c'))).toBe('x');
    expect(rotated.isStale(sealed)).toBe(true);
    expect(rotated.isStale(rotated.seal(text('x'), 'c'))).toBe(false);
    expect(() => new Keyring(key(2)).open(sealed, 'c')).toThrow(/sealed with master key [0-9a-f]{8}, which is not one of our master keys/);
  });

  it('says how to recover when the database was sealed under another DATA_DIR\'s key', () => {
    const dirOf = () => path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data');
    const [first, second] = [dirOf(), dirOf()];
    const sealed = keyringFromConfig(parseConfig({ DATA_DIR: first })).seal(text('x'), 'c');
    const other = keyringFromConfig(parseConfig({ DATA_DIR: second }));
    const message = (() => { try { other.open(sealed, 'c'); } catch (err) { return (err as Error).message; } })();
    expect(message).toMatch(/sealed with master key [0-9a-f]{8}, which is not one of our master keys/);
    expect(message).toContain(path.join(second, 'master.key'));
    expect(message).toMatch(/Point DATA_DIR at the directory whose master\.key sealed it.*or set MASTER_KEY/);
    expect(message).toMatch(/dropped instead/);
  });

  it('generates a regtest master key once, mode 0600, and reuses it', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data');
    const config = parseConfig({ DATA_DIR: dir });
    const a = keyringFromConfig(config);
    const file = path.join(dir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = keyringFromConfig(config);
    expect(a.currentId).toBe(b.currentId);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });
});
