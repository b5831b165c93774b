// scripts/setup.mjs as `npm start`/`npm test` run it, on a copy of the script in a project
// whose engines the running Node does not satisfy (as the machine's Node does not satisfy
// ours before Node 24 is installed): no EBADENGINE noise, one line naming the Node in use.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { redisUrl, urlFor } from '../support/db.ts';
import { root } from '../support/process.ts';

it('installs without engine warnings and says which Node runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flash-setup-'));
  mkdirSync(path.join(dir, 'scripts'));
  copyFileSync(path.join(root, 'scripts', 'setup.mjs'), path.join(dir, 'scripts', 'setup.mjs'));
  const project = { name: 'setup-probe', version: '1.0.0', engines: { node: '>=99' } };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(project));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ ...project, lockfileVersion: 3, requires: true, packages: { '': project } }));
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'setup.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    // Nothing to fetch (no dependencies); keep npm from calling out anyway.
    env: { ...process.env, DATABASE_URL: urlFor('postgres'), REDIS_URL: redisUrl(), npm_config_offline: 'true', npm_config_update_notifier: 'false' },
  });
  const output = r.stdout + r.stderr;
  expect(r.status, output).toBe(0);
  expect(output).toContain('installing dependencies');
  expect(output).not.toMatch(/EBADENGINE|npm warn/i);
  expect(output.match(/Node v[\d.]+/g)).toEqual([`Node ${process.version}`]);
});
