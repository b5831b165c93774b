import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring, SecretStore } from '../../core/secrets.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => db.drop());

const key = (b: number) => new Uint8Array(32).fill(b);

describe('secret store', () => {
  it('agrees on one value when many first starts race', async () => {
    const store = new SecretStore(db.sql, new Keyring(key(1)));
    const values = await Promise.all(Array.from({ length: 20 }, () => store.getOrCreate('bot:dm', () => randomBytes(32))));
    const hex = new Set(values.map((v) => Buffer.from(v).toString('hex')));
    expect(hex.size).toBe(1);
    const [row] = await db.sql`select sealed from secrets where name = 'bot:dm'`;
    expect(row!.sealed).not.toContain([...hex][0]);
  });

  it('rotates every secret to the new master key', async () => {
    const old = new SecretStore(db.sql, new Keyring(key(1)));
    await old.put('node:key', new Uint8Array([1, 2, 3]));
    const next = new SecretStore(db.sql, new Keyring(key(2), [key(1)]));
    expect(await next.rotate()).toBe(2);
    expect(await next.rotate()).toBe(0);
    const fresh = new SecretStore(db.sql, new Keyring(key(2)));
    expect([...(await fresh.get('node:key'))!]).toEqual([1, 2, 3]);
    await expect(old.get('node:key')).rejects.toThrow(/sealed with master key [0-9a-f]{8}, which is not one of our master keys/);
  });
});

describe('rotation of sealed columns', () => {
  it('re-seals every listed column and leaves current ones alone', async () => {
    const { sealedColumns } = await import('../../cli/sealed-columns.ts');
    const oldRing = new Keyring(key(3));
    const pubkey = 'ab'.repeat(32);
    const signer = sealedColumns.find((c) => c.table === 'zap_signers')!;
    await db.sql`insert into zap_signers (pubkey, sealed_key) values (${pubkey}, ${oldRing.seal(new Uint8Array([9, 9]), signer.context(pubkey))})`;
    const store = new SecretStore(db.sql, new Keyring(key(4), [key(3), key(2), key(1)]));
    expect(await store.rotate(sealedColumns)).toBeGreaterThanOrEqual(1);
    const [row] = await db.sql<{ sealed_key: string }[]>`select sealed_key from zap_signers where pubkey = ${pubkey}`;
    expect([...new Keyring(key(4)).open(row!.sealed_key, signer.context(pubkey))]).toEqual([9, 9]);
    expect(await store.rotate(sealedColumns)).toBe(0);
  });
});
