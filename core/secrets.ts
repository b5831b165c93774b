// Secrets at rest: XChaCha20-Poly1305 under the master key. Each ciphertext names the key
// that sealed it, so a new master key can take over while retired ones still open old data.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Config } from './config.ts';
import type { Sql, Tx } from './db.ts';
import { CodedError } from './errors.ts';
import { keysFromCommand, keysFromFile, keysFromHsm, wrappedKeyFile } from './master-keys.ts';

const VERSION = 'v1';

export class SecretError extends CodedError<'secret'> {
  override name = 'SecretError';
  constructor(message: string) {
    super('secret', message);
  }
}

/** A sealed value: `v1:<key id>:<nonce hex>:<ciphertext hex>`. */
export type Sealed = string;

export class Keyring {
  readonly #keys = new Map<string, Uint8Array>();
  readonly currentId: string;
  /** How to recover when a secret was sealed by a key we do not hold (where our key came from). */
  readonly #recovery: string;

  constructor(current: Uint8Array, retired: Uint8Array[] = [], recovery = 'Set MASTER_KEY to the key that sealed it, or list that key in MASTER_KEYS_RETIRED.') {
    if (current.length !== 32) throw new SecretError('master key must be 32 bytes');
    this.currentId = Keyring.keyId(current);
    this.#recovery = recovery;
    for (const key of [current, ...retired]) this.#keys.set(Keyring.keyId(key), key);
  }

  /** Ids of the keys kept only to open what they sealed. */
  get retiredIds(): string[] {
    return [...this.#keys.keys()].filter((id) => id !== this.currentId);
  }

  /** Key ids are a hash prefix, never the key itself. */
  static keyId(key: Uint8Array): string {
    return bytesToHex(sha256(key)).slice(0, 8);
  }

  /** `context` binds the ciphertext to its use (e.g. `bot:dm`): opening it elsewhere fails. */
  seal(plaintext: Uint8Array, context: string): Sealed {
    const nonce = randomBytes(24);
    const key = this.#keys.get(this.currentId)!;
    const ct = xchacha20poly1305(key, nonce, utf8ToBytes(context)).encrypt(plaintext);
    return `${VERSION}:${this.currentId}:${bytesToHex(nonce)}:${bytesToHex(ct)}`;
  }

  open(sealed: Sealed, context: string): Uint8Array {
    const [version, id, nonce, ct] = sealed.split(':');
    if (version !== VERSION || !id || !nonce || !ct) throw new SecretError('not a sealed secret');
    const key = this.#keys.get(id);
    if (!key) throw new SecretError(`secret sealed with master key ${id}, which is not one of our master keys (the current one is ${this.currentId}). ${this.#recovery}`);
    try {
      return xchacha20poly1305(key, hexToBytes(nonce), utf8ToBytes(context)).decrypt(hexToBytes(ct));
    } catch {
      throw new SecretError(`secret does not open under key ${id} for ${context}`);
    }
  }

  /** True when `sealed` was made with a retired key and should be re-sealed. */
  isStale(sealed: Sealed): boolean {
    return sealed.split(':')[1] !== this.currentId;
  }
}

/**
 * The keyring from MASTER_KEY_PROVIDER: `file`, `command` and `pkcs11` give a list of keys,
 * the current one first; `env` reads MASTER_KEY, and on regtest without it uses a key
 * generated once into DATA_DIR. MASTER_KEYS_RETIRED adds retired keys to any of them.
 */
export function keyringFromConfig(config: Config): Keyring {
  const retired = config.MASTER_KEYS_RETIRED.map((k) => hexToBytes(k));
  const listed = (keys: Uint8Array[], recovery: string) => new Keyring(keys[0]!, [...keys.slice(1), ...retired], recovery);
  switch (config.MASTER_KEY_PROVIDER) {
    case 'file':
      return listed(keysFromFile(config.MASTER_KEY_FILE!), `Add the key that sealed it to MASTER_KEY_FILE ${config.MASTER_KEY_FILE}, after the current one.`);
    case 'command':
      return listed(keysFromCommand(config.MASTER_KEY_COMMAND!, config.MASTER_KEY_COMMAND_TIMEOUT_MS),
        'Have MASTER_KEY_COMMAND print the key that sealed it on a line after the current one.');
    case 'pkcs11':
      return listed(keysFromHsm(config), `Restore the wrapped-key file (${wrappedKeyFile(config)}) that held the key that sealed it, or list that key in MASTER_KEYS_RETIRED.`);
    case 'env':
  }
  if (config.MASTER_KEY) return new Keyring(hexToBytes(config.MASTER_KEY), retired);
  if (config.NETWORK !== 'regtest') throw new SecretError('MASTER_KEY is required off regtest');
  const file = path.join(config.DATA_DIR, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(file, bytesToHex(randomBytes(32)) + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return new Keyring(hexToBytes(readFileSync(file, 'utf8').trim()), retired,
    `This database was set up with another master key than ${file}. Point DATA_DIR at the directory whose master.key sealed it ` +
    `(an older checkout's .flash, or another user's ~/.local/share/flash), or set MASTER_KEY to that key; ` +
    `a regtest database you do not need can be dropped instead, and the next start sets it up afresh.`);
}

/**
 * Named service secrets (bot keys, node keys…) in the `secrets` table, sealed with the
 * keyring. `getOrCreate` is race-free: concurrent first starts agree on one value.
 */
export class SecretStore {
  readonly sql: Sql;
  readonly keyring: Keyring;
  constructor(sql: Sql, keyring: Keyring) {
    this.sql = sql;
    this.keyring = keyring;
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    const [row] = await this.sql<{ sealed: string }[]>`select sealed from secrets where name = ${name}`;
    return row ? this.keyring.open(row.sealed, `secret:${name}`) : undefined;
  }

  /** Names of the secrets whose name starts with `prefix`. */
  async names(prefix: string): Promise<string[]> {
    const rows = await this.sql<{ name: string }[]>`select name from secrets where starts_with(name, ${prefix})`;
    return rows.map((r) => r.name);
  }

  async getOrCreate(name: string, generate: () => Uint8Array): Promise<Uint8Array> {
    const sealed = this.keyring.seal(generate(), `secret:${name}`);
    await this.sql`insert into secrets (name, sealed) values (${name}, ${sealed}) on conflict (name) do nothing`;
    return (await this.get(name))!;
  }

  async put(name: string, value: Uint8Array, tx: Sql | Tx = this.sql): Promise<void> {
    const sealed = this.keyring.seal(value, `secret:${name}`);
    await tx`insert into secrets (name, sealed) values (${name}, ${sealed})
      on conflict (name) do update set sealed = excluded.sealed, updated_at = now()`;
  }

  /**
   * Re-seals every secret made under a retired key with the current one: the `secrets` table
   * and each feature's sealed column. Returns how many were re-sealed.
   */
  async rotate(columns: SealedColumn[] = []): Promise<number> {
    return this.sql.begin(async (tx) => {
      let count = 0;
      for (const c of [secretsColumn, ...columns]) {
        const rows = await tx<{ by: string; sealed: string }[]>`
          select ${tx(c.by)}::text as by, ${tx(c.column)} as sealed from ${tx(c.table)}
          where ${tx(c.column)} is not null for update`;
        for (const r of rows.filter((r) => this.keyring.isStale(r.sealed))) {
          const fresh = this.keyring.seal(this.keyring.open(r.sealed, c.context(r.by)), c.context(r.by));
          await tx`update ${tx(c.table)} set ${tx(c.column)} = ${fresh} where ${tx(c.by)}::text = ${r.by}`;
          count++;
        }
      }
      return count;
    });
  }
}

/** A column that holds sealed values, found by a unique column `by` whose value names its purpose. */
export interface SealedColumn {
  table: string;
  column: string;
  by: string;
  context: (by: string) => string;
}

const secretsColumn: SealedColumn = { table: 'secrets', column: 'sealed', by: 'name', context: (name) => `secret:${name}` };
