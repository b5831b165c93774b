import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.ts';
import { checkArgument, defaultLevels, effectiveLimits, levelsOf } from '../../../core/risk/limits.ts';
import { riskRefusalOf } from '../../../core/risk/refusals.ts';

describe('risk levels', () => {
  it('defaults to the documented levels and passes them to the check as JSON with msat strings', () => {
    const config = parseConfig({});
    expect(levelsOf(config)).toEqual(defaultLevels);
    expect(JSON.parse(checkArgument(config))).toMatchObject({ default: 0, levels: { 0: { maxPaymentMsat: '100000000', daily: { '*:outgoing': '500000000' } } } });
  });

  it('refuses RISK_LEVELS that are not levels of limits', () => {
    for (const bad of ['not json', '{"10": {}}', '{"0": {"daily": {"lightning": "1"}}}', '{"0": {"maxPaymentMsat": "-1"}}', '{"0": {"maxpayment": "1"}}']) {
      expect(() => parseConfig({ RISK_LEVELS: bad }), bad).toThrow(/RISK_LEVELS/);
    }
  });

  it('merges an account\'s overrides over its level, daily limits by key', () => {
    const levels = levelsOf(parseConfig({ RISK_LEVELS: '{"0": {"maxPaymentMsat": 5, "daily": {"*:outgoing": 10, "internal:outgoing": 20}}}' }));
    expect(effectiveLimits(levels, 0, { daily: { 'lightning:outgoing': 3n } })).toEqual({ maxPaymentMsat: 5n, daily: { '*:outgoing': 10n, 'internal:outgoing': 20n, 'lightning:outgoing': 3n } });
    expect(effectiveLimits(levels, 7, null)).toEqual({ daily: {} });
  });
});

describe('riskRefusalOf', () => {
  it('reads the facts risk_check raised (SQLSTATE FR001) and ignores other errors', () => {
    const err = { code: 'FR001', detail: '{"code":"limit_exceeded","limit":"daily","rail":"lightning","limitMsat":"30000","leftMsat":"3000","resetsAt":"2026-12-09T00:00:00Z"}' };
    const r = riskRefusalOf(err)!;
    expect(r.code).toBe('limit_exceeded');
    expect(r.facts).toEqual({ limit: 'daily', rail: 'lightning', limitMsat: 30_000n, leftMsat: 3000n, resetsAt: new Date('2026-12-09T00:00:00Z'), reason: undefined });
    expect(r.message).toBe('over the 24-hour lightning limit of 30 sat: 3 sat left, more from 2026-12-09T00:00:00.000Z');
    expect(riskRefusalOf({ code: '23514' })).toBeUndefined();
  });
});
