// Where the master keys come from (MASTER_KEY_PROVIDER other than `env`): a key file, an
// operator's command (a KMS CLI), or keys wrapped by an HSM. Each gives a list, the current key
// first and retired ones after it. Key material never appears in an error or a log line.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Config } from './config.ts';
import { type HsmSettings, withHsm } from './hsm.ts';
import { SecretError } from './secrets.ts';

/** Hex keys, one per line (blank lines and `#` comments skipped), current first. */
export function parseKeyList(text: string, source: string): Uint8Array[] {
  const lines = text.split('\n').map((l) => l.trim()).map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l && !l.startsWith('#'));
  if (!lines.length) throw new SecretError(`${source} gave no master key`);
  return lines.map(({ l, n }) => {
    // The line is not quoted back: it may be a key with a typo.
    if (!/^[0-9a-fA-F]{64}$/.test(l)) throw new SecretError(`line ${n} of ${source} is not a master key (64 hex characters)`);
    return hexToBytes(l.toLowerCase());
  });
}

export function keysFromFile(file: string): Uint8Array[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SecretError(`cannot read MASTER_KEY_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseKeyList(text, `MASTER_KEY_FILE ${file}`);
}

/** Runs the operator's command through the shell; its stdout is the key list, its stderr only explains a failure. */
export function keysFromCommand(command: string, timeoutMs: number): Uint8Array[] {
  let out: string;
  try {
    out = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: string | null; stderr?: string };
    if (e.code === 'ETIMEDOUT') throw new SecretError(`MASTER_KEY_COMMAND did not finish within ${timeoutMs} ms (MASTER_KEY_COMMAND_TIMEOUT_MS)`);
    const said = e.stderr?.trim().split('\n').at(-1)?.slice(0, 300);
    const how = e.status != null ? `exited with status ${e.status}` : e.signal ? `was killed by ${e.signal}` : `could not run (${e.code ?? e.message})`;
    throw new SecretError(`MASTER_KEY_COMMAND ${how}${said ? `: ${said}` : ''}`);
  }
  return parseKeyList(out, 'the output of MASTER_KEY_COMMAND');
}

export const wrappedKeyFile = (config: Config) => config.MASTER_KEY_WRAPPED_FILE ?? path.join(config.DATA_DIR, 'master.key.wrapped');

export const hsmSettings = (config: Config): HsmSettings => ({
  module: config.PKCS11_MODULE!, token: config.PKCS11_TOKEN, pin: config.PKCS11_PIN!, keyLabel: config.PKCS11_KEY_LABEL,
});

/** One line of the wrapped-key file: `<wrapping key label>:<wrapped key hex>`, so wrapping keys can change one line at a time. */
export interface WrappedKey { label: string; wrapped: Uint8Array }

export function readWrappedKeys(file: string): WrappedKey[] {
  if (!existsSync(file)) throw new SecretError(`no wrapped master key at ${file} (MASTER_KEY_WRAPPED_FILE); create it with \`flash keys wrap\``);
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new SecretError(`${file} holds no wrapped master key`);
  return lines.map((line, i) => {
    const m = /^(.+):([0-9a-f]+)$/.exec(line);
    if (!m || m[2]!.length % 2) throw new SecretError(`line ${i + 1} of ${file} is not \`<key label>:<wrapped key hex>\``);
    return { label: m[1]!, wrapped: hexToBytes(m[2]!) };
  });
}

/** Replaces the file in one rename, so a crash leaves the old list or the new one. */
export function writeWrappedKeys(file: string, keys: WrappedKey[]): void {
  const text = '# master keys wrapped by the HSM (flash keys …); the current one first\n' +
    keys.map((k) => `${k.label}:${bytesToHex(k.wrapped)}\n`).join('');
  writeAtomically(file, text);
}

export function writeKeyFile(file: string, keys: Uint8Array[]): void {
  writeAtomically(file, keys.map((k) => bytesToHex(k) + '\n').join(''));
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Every wrapped key unwrapped in one session on the token. */
export function keysFromHsm(config: Config): Uint8Array[] {
  const wrapped = readWrappedKeys(wrappedKeyFile(config));
  return withHsm(hsmSettings(config), (hsm) => wrapped.map((k) => hsm.unwrap(k.wrapped, k.label)));
}
