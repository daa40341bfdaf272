import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from '../../test/helpers/hostile-values.js';
import { parseJsonText } from './parse-json-text.js';

describe('parseJsonText', () => {
  it.each([
    ['{"a":1,"b":[true,false,null],"c":"x"}', { a: 1, b: [true, false, null], c: 'x' }],
    ['9007199254740993', '9007199254740993'],
    ['-9007199254740993', '-9007199254740993'],
    ['9007199254740991', 9007199254740991],
    ['1234567890123456', 1234567890123456],
    ['{"id":9007199254740993,"n":1}', { id: '9007199254740993', n: 1 }],
    ['[12345678901234567890, 1.5, -2]', ['12345678901234567890', 1.5, -2]],
    // More digits than a double keeps: the exact text, not a nearby double (VALUE-RULES, type table).
    ['{"f":0.12345678901234567}', { f: '0.12345678901234567' }],
    ['{"e":12345678901234567e2}', { e: '12345678901234567e2' }],
    ['12345678901234567890.5', '12345678901234567890.5'],
    ['[123456789012.3456789]', ['123456789012.3456789']],
    // Beyond double range or below it: the exact text, never Infinity → null, never 0.
    ['1e400', '1e400'],
    ['{"big":-1E+400,"tiny":1e-400}', { big: '-1E+400', tiny: '1e-400' }],
    ['[1e0400]', ['1e0400']],
    ['[1.23456e-320]', ['1.23456e-320']], // a subnormal keeps fewer digits
    // What a double carries exactly stays a number, however it is written.
    [
      '[1.5e3, 1E+2, 0.1, 1e21, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]',
      [1500, 100, 0.1, 1e21, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308],
    ],
    ['[0.1234567890123456, 1.50000000000000000000, -0.0e500]', [0.1234567890123456, 1.5, -0]],
    ['[12345678901234.5, 1234567890123456e-5]', [12345678901234.5, 12345678901.23456]],
    [
      '{"s":"1234567890123456789","esc":"q\\"\\\\\\n\\u00e9😀"}',
      { s: '1234567890123456789', esc: 'q"\\\n\u00e9😀' },
    ],
    [
      ' { "nested" : { "deep" : [ 9999999999999999999 , { } , [ ] ] } } ',
      { nested: { deep: ['9999999999999999999', {}, []] } },
    ],
    ['"only 12345678901234567 text"', 'only 12345678901234567 text'],
  ])('%s', (text, expected) => {
    expect(parseJsonText(text)).toStrictEqual(expected);
  });

  it('agrees with JSON.parse wherever JSON.parse is exact', () => {
    const docs = ['{"a":[1,2,{"b":"c"}],"d":-0.5e-3}', '[]', '{}', 'null', 'true', '"x"', '-0', '[1e300]'];
    for (const text of docs)
      expect(parseJsonText(`[${text}, 1000000000000000]`)).toEqual([JSON.parse(text), 1e15]);
  });

  it('keeps a "__proto__" key as a field on both paths', () => {
    for (const text of ['{"__proto__":{"x":1}}', '{"__proto__":{"x":12345678901234567890}}']) {
      const value = parseJsonText(text) as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toEqual(['__proto__']);
    }
  });

  it.each([
    '{"a":12345678901234567',
    '[12345678901234567,]',
    '{"a" 12345678901234567}',
    '12345678901234567 x',
    '{"a":tru}',
  ])('rejects invalid JSON %s like JSON.parse', (text) => {
    expect(() => parseJsonText(text)).toThrow(SyntaxError);
  });

  /** m × 10^e, exactly, for a decimal's text (an oracle independent of the parser's own). */
  function rational(text: string): { m: bigint; e: number } {
    const [mantissa, exponent = '0'] = text.toLowerCase().split('e') as [string, string?];
    const [whole, fraction = ''] = mantissa.split('.') as [string, string?];
    return { m: BigInt(whole + fraction), e: Number(exponent) - fraction.length };
  }
  function sameDecimal(a: string, b: string): boolean {
    const x = rational(a);
    const y = rational(b);
    const low = Math.min(x.e, y.e);
    return x.m * 10n ** BigInt(x.e - low) === y.m * 10n ** BigInt(y.e - low);
  }
  const numberToken = fc
    .record({
      sign: fc.constantFrom('', '-'),
      whole: fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
      fraction: fc.option(fc.stringMatching(/^[0-9]{1,25}$/), { nil: undefined }),
      exponent: fc.option(fc.integer({ min: -420, max: 420 }), { nil: undefined }),
      e: fc.constantFrom('e', 'E', 'e+', 'E-'),
    })
    .map(({ sign, whole, fraction, exponent, e }) => {
      let text = sign + whole + (fraction === undefined ? '' : `.${fraction}`);
      // "e"/"E" with the exponent's own sign; "e+"/"E-" with an explicit one.
      if (exponent !== undefined) text += e.length === 1 ? `${e}${exponent}` : `${e}${Math.abs(exponent)}`;
      return text;
    });

  it('gives a number exactly when a double carries the written decimal, else the text (any form)', () => {
    checkProperty(
      fc.property(
        numberToken,
        fc.constantFrom('[%]', '{"k":%}', '[ "1e999 text", %, 1 ]'),
        (token, shape) => {
          const doc = parseJsonText(shape.replace('%', token)) as unknown;
          const value = Array.isArray(doc) ? doc[doc.length === 3 ? 1 : 0] : (doc as { k: unknown }).k;
          const integer = !/[.eE]/.test(token);
          const double = Number(token);
          const exact = Number.isFinite(double) && sameDecimal(token, String(double));
          if (integer && !Number.isSafeInteger(double)) {
            expect(value).toBe(BigInt(token).toString());
          } else if (exact) {
            expect(value).toBe(double);
          } else {
            expect(value).toBe(token);
          }
        },
      ),
      2000,
    );
  });
});
