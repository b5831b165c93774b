// Master key providers in process: a key file, an operator's command, and an HSM (SoftHSM2,
// which reads SOFTHSM2_CONF from this process's environment at each C_Initialize).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../core/config.ts';
import { HsmError, withHsm } from '../../core/hsm.ts';
import { hsmSettings, wrappedKeyFile, writeWrappedKeys } from '../../core/master-keys.ts';
import { Keyring, keyringFromConfig, SecretError } from '../../core/secrets.ts';
import { newToken, type Token } from '../support/softhsm.ts';

const key = (b: number) => new Uint8Array(32).fill(b);
const hex = (b: number) => bytesToHex(key(b));
const tmp = () => mkdtempSync(path.join(tmpdir(), 'flash-keys-'));
const failure = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not fail');
};

describe('file provider', () => {
  it('takes the first key as current and the rest as retired', () => {
    const file = path.join(tmp(), 'keys');
    writeFileSync(file, `# rotated 2026-12\n${hex(2)}\n\n${hex(1)}\n`);
    const ring = keyringFromConfig(parseConfig({ MASTER_KEY_PROVIDER: 'file', MASTER_KEY_FILE: file, NETWORK: 'mainnet' }));
    expect(ring.currentId).toBe(Keyring.keyId(key(2)));
    expect(ring.retiredIds).toEqual([Keyring.keyId(key(1))]);
    expect(new TextDecoder().decode(ring.open(new Keyring(key(1)).seal(new TextEncoder().encode('x'), 'c'), 'c'))).toBe('x');
  });

  it('refuses a malformed line without quoting it, and a missing file', () => {
    const file = path.join(tmp(), 'keys');
    const typo = hex(3).slice(0, 63) + 'g';
    writeFileSync(file, `${hex(2)}\n${typo}\n`);
    const err = failure(() => keyringFromConfig(parseConfig({ MASTER_KEY_PROVIDER: 'file', MASTER_KEY_FILE: file })));
    expect(err).toBeInstanceOf(SecretError);
    expect(err.message).toBe(`line 2 of MASTER_KEY_FILE ${file} is not a master key (64 hex characters)`);
    expect(failure(() => keyringFromConfig(parseConfig({ MASTER_KEY_PROVIDER: 'file', MASTER_KEY_FILE: `${file}.gone` }))).message)
      .toBe(`cannot read MASTER_KEY_FILE ${file}.gone: ENOENT`);
  });

  it('is configured without MASTER_KEY off regtest, and needs its own setting', () => {
    expect(() => parseConfig({ NETWORK: 'mainnet' })).toThrow(/MASTER_KEY: required/);
    expect(() => parseConfig({ NETWORK: 'mainnet', MASTER_KEY_PROVIDER: 'file' })).toThrow(/MASTER_KEY_FILE: required when MASTER_KEY_PROVIDER=file/);
    expect(() => parseConfig({ MASTER_KEY_PROVIDER: 'pkcs11' })).toThrow(ConfigError);
  });
});

describe('command provider', () => {
  const ring = (command: string, timeout = '15000') => keyringFromConfig(parseConfig({
    MASTER_KEY_PROVIDER: 'command', MASTER_KEY_COMMAND: command, MASTER_KEY_COMMAND_TIMEOUT_MS: timeout, NETWORK: 'mainnet',
  }));

  it('reads the keys the command prints, current first', () => {
    const r = ring(`printf '%s\\n%s\\n' ${hex(5)} ${hex(4)}`);
    expect(r.currentId).toBe(Keyring.keyId(key(5)));
    expect(r.retiredIds).toEqual([Keyring.keyId(key(4))]);
  });

  it('reports a failing command with its exit status and last stderr line, never its output', () => {
    const err = failure(() => ring(`echo ${hex(6)}; echo 'AccessDeniedException: not allowed' >&2; exit 3`));
    expect(err).toBeInstanceOf(SecretError);
    expect(err.message).toBe('MASTER_KEY_COMMAND exited with status 3: AccessDeniedException: not allowed');
    const garbled = failure(() => ring(`echo ${hex(6).slice(2)}`));
    expect(garbled.message).toBe('line 1 of the output of MASTER_KEY_COMMAND is not a master key (64 hex characters)');
    expect(failure(() => ring('true')).message).toBe('the output of MASTER_KEY_COMMAND gave no master key');
  });

  it('gives up on a command that hangs', () => {
    const err = failure(() => ring('sleep 30', '300'));
    expect(err.message).toBe('MASTER_KEY_COMMAND did not finish within 300 ms (MASTER_KEY_COMMAND_TIMEOUT_MS)');
  });
});

describe('pkcs11 provider (SoftHSM2)', () => {
  /** The config for `token` with SoftHSM2 pointed at it, as the started service would read it. */
  const configFor = (token: Token, extra: Record<string, string> = {}) => {
    process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
    return parseConfig({ ...token.env, DATA_DIR: tmp(), NETWORK: 'mainnet', ...extra });
  };

  it('unwraps the master keys in the token, each line under the wrapping key it names', () => {
    const token = newToken();
    const config = configFor(token);
    const wrapped = withHsm(hsmSettings(config), (hsm) => {
      hsm.createWrappingKey('old');
      hsm.createWrappingKey();
      return [{ label: config.PKCS11_KEY_LABEL, wrapped: hsm.wrap(key(8)) }, { label: 'old', wrapped: hsm.wrap(key(7), 'old') }];
    });
    expect(wrapped[0]!.wrapped).toHaveLength(40);
    expect(Buffer.from(wrapped[0]!.wrapped).includes(Buffer.from(key(8)))).toBe(false);
    writeWrappedKeys(wrappedKeyFile(config), wrapped);
    const ring = keyringFromConfig(config);
    expect(ring.currentId).toBe(Keyring.keyId(key(8)));
    expect(ring.retiredIds).toEqual([Keyring.keyId(key(7))]);
  });

  it('keeps the wrapping key in the token: sensitive, not extractable, its value refused', () => {
    const token = newToken();
    const config = configFor(token);
    withHsm(hsmSettings(config), (hsm) => hsm.createWrappingKey());
    expect(() => withHsm(hsmSettings(config), (hsm) => hsm.createWrappingKey())).toThrow('the token already holds a key labelled "flash-master-wrap"');
    const lib = new pkcs11js.PKCS11();
    lib.load(config.PKCS11_MODULE!);
    lib.C_Initialize();
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === 'flash')!;
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      lib.C_Login(session, pkcs11js.CKU_USER, token.pin);
      lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: 'flash-master-wrap' }]);
      const handle = lib.C_FindObjects(session)!;
      lib.C_FindObjectsFinal(session);
      const [sensitive, extractable] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]);
      expect([sensitive!.value, extractable!.value]).toEqual([Buffer.from([1]), Buffer.from([0])]);
      expect(() => lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_VALUE }])).toThrow('CKR_ATTRIBUTE_SENSITIVE');
    } finally {
      lib.C_Finalize();
      lib.close();
    }
  });

  it('says what is wrong: no wrapped-key file, wrong PIN, no such token, no library, no wrapping key', () => {
    const token = newToken('flash', '8642');
    const config = configFor(token);
    expect(failure(() => keyringFromConfig(config)).message)
      .toBe(`no wrapped master key at ${wrappedKeyFile(config)} (MASTER_KEY_WRAPPED_FILE); create it with \`flash keys wrap\``);
    writeWrappedKeys(wrappedKeyFile(config), [{ label: 'flash-master-wrap', wrapped: new Uint8Array(40) }]);
    expect(failure(() => keyringFromConfig(config)).message)
      .toBe('no wrapping key labelled "flash-master-wrap" (PKCS11_KEY_LABEL) on the token; create it with `flash keys wrap`');

    const wrongPin = failure(() => keyringFromConfig({ ...config, PKCS11_PIN: '1111' }));
    expect(wrongPin).toBeInstanceOf(HsmError);
    expect(wrongPin.message).toBe('wrong PIN for token "flash" (PKCS11_PIN); the token locks after too many wrong tries');

    expect(failure(() => keyringFromConfig({ ...config, PKCS11_TOKEN: 'vault' })).message)
      .toMatch(/^no token labelled "vault" \(PKCS11_TOKEN\) in .*; tokens present: "flash"/);
    expect(failure(() => keyringFromConfig({ ...config, PKCS11_MODULE: '/nonexistent/libp11.so' })).message)
      .toMatch(/^cannot load the PKCS#11 library \/nonexistent\/libp11\.so \(PKCS11_MODULE\)/);

    // Zeros are no key wrapped by this token's key: refused, not taken as a master key.
    withHsm(hsmSettings(config), (hsm) => hsm.createWrappingKey());
    expect(failure(() => keyringFromConfig(config)).message).toMatch(/^the wrapped master key does not unwrap under the token's key "flash-master-wrap"/);
  });
});
