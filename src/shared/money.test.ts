import { describe, expect, it } from 'vitest';
import { allocate, currencyExponent, formatMinor, parseMinor, roundHalfUp } from './money.ts';

describe('money', () => {
  it('knows the minor-unit exponent of zero-, two- and three-decimal currencies', () => {
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('KWD')).toBe(3);
    expect(() => currencyExponent('XXX')).toThrow();
  });

  it('formats minor units in each exponent', () => {
    expect(formatMinor(500, 'JPY')).toBe('500');
    expect(formatMinor(1999, 'USD')).toBe('19.99');
    expect(formatMinor(5, 'USD')).toBe('0.05');
    expect(formatMinor(-1999, 'USD')).toBe('-19.99');
    expect(formatMinor(1234, 'KWD')).toBe('1.234');
    expect(formatMinor(7, 'KWD')).toBe('0.007');
  });

  it('rounds half away from zero', () => {
    expect(roundHalfUp(2.5)).toBe(3);
    expect(roundHalfUp(2.4)).toBe(2);
    expect(roundHalfUp(-2.5)).toBe(-3);
  });

  it('allocates by largest remainder: integer parts summing exactly to the total', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(5, [3, 1])).toEqual([4, 1]);
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(10, [0, 0])).toEqual([10, 0]);
    expect(allocate(0, [5, 7])).toEqual([0, 0]);
    expect(allocate(7, [])).toEqual([]);
    expect(() => allocate(1.5, [1])).toThrow();
    // Same shares in every currency: the exponent only changes what one unit is worth.
    expect(allocate(1000, [1, 2])).toEqual([333, 667]); // ¥1000
    expect(allocate(1001, [1, 1])).toEqual([501, 500]); // 10.01 USD
    expect(allocate(1235, [1, 1, 1])).toEqual([412, 412, 411]); // 1.235 KWD
  });

  it('never moves a part more than one unit from its exact share', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let run = 0; run < 500; run++) {
      const weights = Array.from({ length: 1 + Math.floor(rand() * 10) }, () => Math.floor(rand() * 100_000));
      const total = Math.floor(rand() * 1_000_000);
      const parts = allocate(total, weights);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      const sum = weights.reduce((a, b) => a + b, 0);
      if (sum > 0) {
        parts.forEach((p, i) => {
          expect(Number.isInteger(p)).toBe(true);
          expect(Math.abs(p - (total * weights[i]!) / sum)).toBeLessThan(1);
        });
      }
    }
  });

  it('reads decimal amounts into minor units exactly, refusing what the currency cannot hold', () => {
    expect(['19.99', '20', '20.5', '0.10', '1234567.89'].map((t) => parseMinor(t, 'USD'))).toEqual([
      1999, 2000, 2050, 10, 123456789,
    ]);
    expect(parseMinor('500', 'JPY')).toBe(500);
    expect(parseMinor('500.00', 'JPY')).toBe(500);
    expect(parseMinor('1.234', 'KWD')).toBe(1234);
    for (const bad of ['19.999', '-1', '1,000.00', 'abc', '', '1e3', '.5'])
      expect(parseMinor(bad, 'USD'), bad).toBeNull();
    expect(parseMinor('0.5', 'JPY')).toBeNull();
  });
});
