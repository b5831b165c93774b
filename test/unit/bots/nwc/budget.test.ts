import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodStart, renewalPeriods, renewsAt } from '../../../../bots/nwc/budget.ts';

const at = (iso: string) => new Date(iso);

describe('budget renewal periods (calendar, UTC)', () => {
  it('starts days at midnight, weeks on Monday, months on the 1st, years on 1 January', () => {
    const now = at('2026-03-01T23:59:59.999Z'); // a Sunday
    expect(periodStart('daily', now)).toEqual(at('2026-03-01T00:00:00Z'));
    expect(periodStart('weekly', now)).toEqual(at('2026-02-23T00:00:00Z'));
    expect(periodStart('monthly', now)).toEqual(at('2026-03-01T00:00:00Z'));
    expect(periodStart('yearly', now)).toEqual(at('2026-01-01T00:00:00Z'));
    expect(periodStart('never', now)).toBeUndefined();
    expect(renewsAt('daily', now)).toEqual(at('2026-03-02T00:00:00Z'));
    expect(renewsAt('weekly', now)).toEqual(at('2026-03-02T00:00:00Z'));
    expect(renewsAt('monthly', at('2024-12-31T10:00:00Z'))).toEqual(at('2025-01-01T00:00:00Z'));
    expect(renewsAt('yearly', now)).toEqual(at('2027-01-01T00:00:00Z'));
    expect(renewsAt('never', now)).toBeUndefined();
    expect(periodStart('weekly', at('2026-03-02T00:00:00Z'))).toEqual(at('2026-03-02T00:00:00Z'));
  });

  it('always contains now, and the next period starts where this one ends', () => {
    const periods = renewalPeriods.filter((p) => p !== 'never');
    fc.assert(fc.property(fc.date({ min: at('1970-01-02T00:00:00Z'), max: at('2200-01-01T00:00:00Z'), noInvalidDate: true }), fc.constantFrom(...periods), (now, p) => {
      const start = periodStart(p, now)!;
      const end = renewsAt(p, now)!;
      expect(start.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(end.getTime()).toBeGreaterThan(now.getTime());
      expect(periodStart(p, end)).toEqual(end);
      expect(periodStart(p, new Date(end.getTime() - 1))).toEqual(start);
      expect(start.getUTCHours() + start.getUTCMinutes() + start.getUTCSeconds() + start.getUTCMilliseconds()).toBe(0);
    }));
  });
});
