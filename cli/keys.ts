// `flash keys status|wrap|rotate|rewrap|retire`: the master key's custody (docs/operations.md,
// Key custody). Rotation is three steps because every running process holds the keyring it
// started with: add a new current key, restart everything, then re-seal and retire.
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from '@noble/ciphers/utils.js';
import type { Command } from 'commander';
import type { Config } from '../core/config.ts';
import { withHsm } from '../core/hsm.ts';
import {
  hsmSettings, keysFromFile, parseKeyList, readWrappedKeys, wrappedKeyFile, writeKeyFile, writeWrappedKeys,
} from '../core/master-keys.ts';
import { Keyring, keyringFromConfig, SecretError } from '../core/secrets.ts';
import { sealedColumns } from './sealed-columns.ts';
import { withContext } from './with-context.ts';

const ids = (keys: Uint8Array[]) => keys.map((k) => Keyring.keyId(k)).join(', ');

function requirePkcs11(config: Config, command: string): void {
  if (config.MASTER_KEY_PROVIDER !== 'pkcs11') throw new SecretError(`flash keys ${command} needs MASTER_KEY_PROVIDER=pkcs11`);
}

/** Adds a new current key (file and pkcs11 providers); the others are told what to change themselves. */
function rotate(config: Config): string {
  const fresh = randomBytes(32);
  if (config.MASTER_KEY_PROVIDER === 'file') {
    const file = config.MASTER_KEY_FILE!;
    writeKeyFile(file, [fresh, ...keysFromFile(file)]);
  } else if (config.MASTER_KEY_PROVIDER === 'pkcs11') {
    const file = wrappedKeyFile(config);
    const old = readWrappedKeys(file);
    const wrapped = withHsm(hsmSettings(config), (hsm) => hsm.wrap(fresh));
    writeWrappedKeys(file, [{ label: config.PKCS11_KEY_LABEL, wrapped }, ...old]);
  } else {
    throw new SecretError(`with MASTER_KEY_PROVIDER=${config.MASTER_KEY_PROVIDER}, rotate by hand: ` +
      (config.MASTER_KEY_PROVIDER === 'env'
        ? 'set MASTER_KEY to a new key (`openssl rand -hex 32`) and add the old one to MASTER_KEYS_RETIRED'
        : 'have MASTER_KEY_COMMAND print a new key first and the old one after it') +
      ', restart every flash process, then run `flash keys retire`');
  }
  return Keyring.keyId(fresh);
}

/** Drops every key but the current one from the file or wrapped-key file. */
function dropRetired(config: Config): number {
  if (config.MASTER_KEY_PROVIDER === 'file') {
    const [current, ...retired] = keysFromFile(config.MASTER_KEY_FILE!);
    writeKeyFile(config.MASTER_KEY_FILE!, [current!]);
    return retired.length;
  }
  if (config.MASTER_KEY_PROVIDER === 'pkcs11') {
    const [current, ...retired] = readWrappedKeys(wrappedKeyFile(config));
    writeWrappedKeys(wrappedKeyFile(config), [current!]);
    return retired.length;
  }
  return 0;
}

export function keysCommands(program: Command, config: () => Config): void {
  const keys = program.command('keys').description('custody of the master key that seals every stored secret (MASTER_KEY_PROVIDER)');

  keys.command('status')
    .description('where the master key comes from, and the ids (hash prefixes) of the current and retired keys')
    .action(() => {
      const c = config();
      const ring = keyringFromConfig(c);
      console.log(`provider ${c.MASTER_KEY_PROVIDER}${c.MASTER_KEY_PROVIDER === 'pkcs11' ? ` (token "${c.PKCS11_TOKEN}", wrapped keys in ${wrappedKeyFile(c)})` : ''}`);
      console.log(`current  ${ring.currentId}`);
      console.log(`retired  ${ring.retiredIds.join(', ') || 'none'}`);
    });

  keys.command('wrap')
    .description('pkcs11: create the wrapping key in the token if missing, and wrap master keys read from stdin (hex, one per line, current first) into MASTER_KEY_WRAPPED_FILE')
    .option('--generate', 'wrap a newly generated master key instead of reading stdin (a new installation)')
    .option('--force', 'replace an existing wrapped-key file')
    .addHelpText('after', '\nExamples:\n  flash keys wrap --generate\n  printf "%s\\n" "$MASTER_KEY" | flash keys wrap   # from MASTER_KEY_PROVIDER=env to pkcs11')
    .action((opts: { generate?: boolean; force?: boolean }) => {
      const c = config();
      requirePkcs11(c, 'wrap');
      const file = wrappedKeyFile(c);
      if (existsSync(file) && !opts.force) throw new SecretError(`${file} exists; \`flash keys rotate\` adds a key to it (--force replaces it, and whatever it alone opened is lost)`);
      const masters = opts.generate ? [randomBytes(32)] : parseKeyList(readFileSync(0, 'utf8'), 'stdin');
      const wrapped = withHsm(hsmSettings(c), (hsm) => {
        if (!hsm.hasWrappingKey()) {
          hsm.createWrappingKey();
          console.log(`created wrapping key "${c.PKCS11_KEY_LABEL}" in token "${c.PKCS11_TOKEN}"`);
        }
        return masters.map((k) => ({ label: c.PKCS11_KEY_LABEL, wrapped: hsm.wrap(k) }));
      });
      writeWrappedKeys(file, wrapped);
      console.log(`wrapped master key(s) ${ids(masters)} into ${file}`);
    });

  keys.command('rotate')
    .description('make a new master key current, keeping the old ones to open what they sealed (file and pkcs11 providers)')
    .action(() => {
      const id = rotate(config());
      console.log(`new master key ${id} is current. Restart every flash process, then run \`flash keys retire\`.`);
    });

  keys.command('rewrap')
    .description('pkcs11: create a new wrapping key in the token and wrap every master key under it')
    .requiredOption('--label <label>', 'label of the new wrapping key')
    .action((opts: { label: string }) => {
      const c = config();
      requirePkcs11(c, 'rewrap');
      const file = wrappedKeyFile(c);
      const rewrapped = withHsm(hsmSettings(c), (hsm) => {
        const masters = readWrappedKeys(file).map((k) => hsm.unwrap(k.wrapped, k.label));
        hsm.createWrappingKey(opts.label);
        return masters.map((k) => ({ label: opts.label, wrapped: hsm.wrap(k, opts.label) }));
      });
      writeWrappedKeys(file, rewrapped);
      console.log(`every master key is wrapped under "${opts.label}". Set PKCS11_KEY_LABEL=${opts.label}; the old wrapping key can then be destroyed in the token.`);
    });

  keys.command('retire')
    .description('re-seal every secret under the current master key, then forget the retired keys (after every process runs with the current key)')
    .action(async () => withContext(config(), async (ctx) => {
      console.log(`re-sealed ${await ctx.secrets.rotate(sealedColumns)} secret(s) under key ${ctx.keyring.currentId}`);
      const dropped = dropRetired(ctx.config);
      console.log(dropped ? `removed ${dropped} retired key(s)` : ctx.config.MASTER_KEY_PROVIDER === 'file' || ctx.config.MASTER_KEY_PROVIDER === 'pkcs11'
        ? 'no retired keys to remove' : 'retired keys are no longer needed: remove them from MASTER_KEYS_RETIRED / MASTER_KEY_COMMAND');
    }));
}
