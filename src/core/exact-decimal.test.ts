import { describe, expect, it } from 'vitest';
import { decimalFromScaled, decimalFromScaledNumber, decimalFromText } from './exact-decimal.js';

describe('exact decimals', () => {
  it.each([
    [1234n, 2, 12.34],
    [-1n, 2, -0.01],
    [0n, 5, 0],
    [12345n, 0, 12345],
    [150n, 2, 1.5],
    [1234567890123456789n, 0, '1234567890123456789'],
    [1234567890123456790n, 0, '1234567890123456790'],
    [9007199254740993n, 0, '9007199254740993'],
    [123456789012345678n, 6, '123456789012.345678'],
    [123456789012345678901234567890n, 10, '12345678901234567890.123456789'],
    [-123456789012345678901234567890n, 10, '-12345678901234567890.123456789'],
    [1n, 30, '0.000000000000000000000000000001'],
    [1n, 6, 0.000001],
    [1n, 7, '0.0000001'],
    [-10n, 7, -0.000001],
    [-9n, 7, '-0.0000009'],
    [-9999999999n, 2, -99999999.99],
    [10n ** 21n, 0, '1000000000000000000000'],
    [10n ** 20n, 0, 100000000000000000000],
  ])('decimalFromScaled(%s, %i) → %j', (scaled, scale, expected) => {
    expect(decimalFromScaled(scaled, scale)).toBe(expected);
    if (Math.abs(Number(scaled)) <= Number.MAX_SAFE_INTEGER) {
      expect(decimalFromScaledNumber(Number(scaled), scale)).toBe(expected);
    }
  });

  it('decimals are numbers exactly when the number prints back as the canonical decimal', () => {
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const digits = String(seed)
        .repeat(1 + (i % 4))
        .slice(0, 1 + (i % 38));
      const scale = i % (digits.length + 3);
      const scaled = BigInt(digits) * (i % 2 === 0 ? 1n : -1n);
      const value = decimalFromScaled(scaled, scale);
      // The oracle: canonical text by string surgery, independent of the function under test.
      const padded = digits.replace(/^0+(?=\d)/, '').padStart(scale + 1, '0');
      let text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
      if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
      if (scaled < 0n && text !== '0') text = `-${text}`;
      expect(value).toBe(String(Number(text)) === text ? Number(text) : text);
    }
  });

  it.each([
    ['12.34', 12.34],
    ['12.50', 12.5],
    ['-0.5', -0.5],
    ['-0.00', 0],
    ['0', 0],
    ['007.10', 7.1],
    ['+3', 3],
    ['.5', 0.5],
    ['1234567890123456789', '1234567890123456789'],
    ['1234567890123456789.000', '1234567890123456789'],
    ['12345678901234567890.5', '12345678901234567890.5'],
    ['0.00000010', '0.0000001'],
    ['NaN', null],
    ['Infinity', null],
    ['-Infinity', null],
    ['1E+5', '1E+5'],
  ])('decimalFromText(%s) → %j', (text, expected) => {
    expect(decimalFromText(text)).toBe(expected);
  });
});
