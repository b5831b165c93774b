import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { variables } from '../../core/config.ts';

describe('docs/operations.md', () => {
  it('documents every configuration variable', () => {
    const doc = readFileSync('docs/operations.md', 'utf8');
    const missing = Object.keys(variables).filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
