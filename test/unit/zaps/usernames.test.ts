import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUsername, UsernameError, type UsernameErrorReason } from '../../../core/addresses/usernames.ts';

const reason = (name: string, extra: string[] = []): UsernameErrorReason | string => {
  try {
    return checkUsername(name, extra);
  } catch (err) {
    if (err instanceof UsernameError) return err.code;
    throw err;
  }
};

describe('usernames', () => {
  it('lower-cases and strips a leading @', () => {
    expect(checkUsername('@Alice.B_1-x')).toBe('alice.b_1-x');
  });
  it.each(['ab', 'a'.repeat(33), '-abc', 'abc.', 'a b', 'ali..ce', 'ålice', 'al/ice', 'al@ce', ''])('refuses %j as invalid', (name) => {
    expect(reason(name)).toBe('invalid');
  });
  it.each(['admin', 'Support', 'flash', 'npub1abcdef'])('refuses reserved %j', (name) => {
    expect(reason(name)).toBe('reserved');
  });
  it('refuses configured reserved names', () => {
    expect(reason('mybot', ['mybot'])).toBe('reserved');
  });
  it('accepts only names made of the allowed characters', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
      const r = reason(s);
      if (r !== 'invalid' && r !== 'reserved') expect(r).toMatch(/^[a-z0-9][a-z0-9._-]{1,30}[a-z0-9]$/);
    }));
  });
});
