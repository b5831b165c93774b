// SoftHSM2 for the key-custody tests: installed with apt-get when missing (as scripts/setup.mjs
// does for PostgreSQL and Redis), and a token directory of each test's own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const modules = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'];
const findModule = () => modules.find((m) => existsSync(m));

/** The SoftHSM2 PKCS#11 library, installing the Debian package first if needed. */
export function softHsmModule(): string {
  if (!findModule() || !existsSync('/usr/bin/softhsm2-util')) {
    if (process.getuid?.() !== 0 || !existsSync('/etc/debian_version')) {
      throw new Error('SoftHSM2 is missing: install it (`apt-get install softhsm2`) to run the key-custody tests');
    }
    // Test files run in parallel: one installs while the others wait on the lock, then find it there.
    execFileSync('flock', [path.join(tmpdir(), 'flash-softhsm-install.lock'), 'sh', '-c',
      'test -x /usr/bin/softhsm2-util || { apt-get update -qq && apt-get install -y -qq --no-install-recommends softhsm2; }'],
    { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'ignore' });
  }
  const found = findModule();
  if (!found) throw new Error(`softhsm2 is installed but none of ${modules.join(', ')} exists`);
  return found;
}

export interface Token { label: string; pin: string; env: Record<string, string> }

/** A freshly initialised token in a directory of its own; `env` points SoftHSM2 at it. */
export function newToken(label = 'flash', pin = '246810'): Token {
  const module = softHsmModule();
  const dir = mkdtempSync(path.join(tmpdir(), 'flash-hsm-'));
  mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '1357911', '--pin', pin],
    { env: { ...process.env, ...env }, stdio: 'ignore' });
  return { label, pin, env: { ...env, MASTER_KEY_PROVIDER: 'pkcs11', PKCS11_MODULE: module, PKCS11_TOKEN: label, PKCS11_PIN: pin } };
}
