import { describe, expect, it } from 'vitest';
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
    ['{"f":0.12345678901234567}', { f: Number('0.12345678901234567') }],
    ['{"e":12345678901234567e2}', { e: Number('12345678901234567e2') }],
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
    const docs = ['{"a":[1,2,{"b":"c"}],"d":-0.5e-3}', '[]', '{}', 'null', 'true', '"x"', '-0', '[1e400]'];
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
});
