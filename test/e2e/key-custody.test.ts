// The master key held by an HSM (SoftHSM2 here): `flash` commands run as child processes with
// MASTER_KEY_PROVIDER=pkcs11, each test on a token of its own. A bot key sealed in the database
// stands for every stored secret: `flash bots info` creates it once and opens it after.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { flashCommand } from '../support/process.ts';
import { newToken, type Token } from '../support/softhsm.ts';

// A database per test: each test's master key seals its own secrets.
let db: TestDb;
beforeEach(async () => {
  db = await createTestDb();
});
afterEach(async () => {
  await db.drop();
});

const dataDir = () => path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data');

/** `flash …` against the test database with the token's settings and `extra`. */
function flashOn(token: Token, extra: Record<string, string>) {
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('keys'), MASTER_KEY: '', LOG_PRETTY: 'false', ...token.env, ...extra };
  return (...args: string[]) => flashCommand(args, env);
}

const ok = (r: { code: number; out: string }) => expect(r.code, r.out).toBe(0);
const botNpub = async (flash: ReturnType<typeof flashOn>) => {
  const r = await flash('bots', 'info', '--json');
  expect(r, r.out).toMatchObject({ code: 0 });
  return (JSON.parse(r.out) as { bots: { npub: string }[] }).bots.map((b) => b.npub).join(' ');
};
const keyIds = (out: string) => ({ current: /^current +(\S+)/m.exec(out)?.[1], retired: /^retired +(.+)$/m.exec(out)?.[1] });
const sealedKeyIds = async () => new Set((await db.sql<{ id: string }[]>`select split_part(sealed, ':', 2) as id from secrets`).map((r) => r.id));

describe('master key in an HSM', { timeout: 300_000 }, () => {
  it('opens stored secrets only with the token that wrapped the key: the database and the wrapped-key file alone open nothing', async () => {
    const token = newToken();
    const dir = dataDir();
    const flash = flashOn(token, { DATA_DIR: dir });

    const wrapped = await flash('keys', 'wrap', '--generate');
    expect(wrapped.out).toContain('created wrapping key "flash-master-wrap" in token "flash"');
    const { current } = keyIds((await flash('keys', 'status')).out);
    expect(current).toMatch(/^[0-9a-f]{8}$/);
    const npub = await botNpub(flash);
    expect(await botNpub(flash)).toBe(npub);
    expect(await sealedKeyIds()).toEqual(new Set([current]));

    // Another token, with a wrapping key of the same label, given the same file and database.
    const other = newToken();
    const elsewhere = flashOn(other, { DATA_DIR: dir });
    const noKey = await elsewhere('bots', 'info');
    expect(noKey).toMatchObject({ code: 1, out: expect.stringContaining('no wrapping key labelled "flash-master-wrap"') });
    ok(await flashOn(other, { DATA_DIR: dataDir() })('keys', 'wrap', '--generate'));
    const refused = await elsewhere('bots', 'info');
    expect(refused).toMatchObject({ code: 1, out: expect.stringContaining('the wrapped master key does not unwrap under the token\'s key') });
    expect(readFileSync(path.join(dir, 'master.key.wrapped'), 'utf8')).toMatch(/^flash-master-wrap:[0-9a-f]{80}$/m);
    expect(await botNpub(flash)).toBe(npub);
  });

  it('rotates the master key: a new current key, old secrets still open, then re-sealed and the old key retired', async () => {
    const token = newToken();
    const flash = flashOn(token, { DATA_DIR: dataDir() });
    ok(await flash('keys', 'wrap', '--generate'));
    const first = keyIds((await flash('keys', 'status')).out).current!;
    const npub = await botNpub(flash);

    const rotated = await flash('keys', 'rotate');
    expect(rotated.out).toMatch(/new master key [0-9a-f]{8} is current/);
    const after = keyIds((await flash('keys', 'status')).out);
    expect(after.current).not.toBe(first);
    expect(after.retired).toBe(first);
    expect(await botNpub(flash)).toBe(npub);
    expect(await sealedKeyIds()).toContain(first);

    const retired = await flash('keys', 'retire');
    expect(retired.out).toMatch(/re-sealed [1-9]\d* secret\(s\) under key/);
    expect(retired.out).toContain('removed 1 retired key(s)');
    expect(keyIds((await flash('keys', 'status')).out)).toEqual({ current: after.current, retired: 'none' });
    expect(await sealedKeyIds()).toEqual(new Set([after.current]));
    expect(await botNpub(flash)).toBe(npub);
  });

  it('moves every master key under a new wrapping key', async () => {
    const token = newToken();
    const dir = dataDir();
    const flash = flashOn(token, { DATA_DIR: dir });
    ok(await flash('keys', 'wrap', '--generate'));
    const before = keyIds((await flash('keys', 'status')).out);
    const npub = await botNpub(flash);

    expect((await flash('keys', 'rewrap', '--label', 'wrap-2027'))).toMatchObject({ code: 0, out: expect.stringContaining('Set PKCS11_KEY_LABEL=wrap-2027') });
    expect(readFileSync(path.join(dir, 'master.key.wrapped'), 'utf8').match(/^wrap-2027:/gm)).toHaveLength(1);
    // Each line names its wrapping key, so the old label setting still starts.
    expect(keyIds((await flash('keys', 'status')).out)).toEqual(before);
    expect(await botNpub(flashOn(token, { DATA_DIR: dir, PKCS11_KEY_LABEL: 'wrap-2027' }))).toBe(npub);
  });
});
