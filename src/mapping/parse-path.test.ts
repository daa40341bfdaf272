import { describe, expect, test } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { formatPath, type PathSegment, parsePath } from './parse-path.js';
import { setPath } from './set-path.js';

describe('parsePath', () => {
  test.each<[string, PathSegment[]]>([
    ['userId', ['userId']],
    ['traits.email', ['traits', 'email']],
    ['traits.address.city', ['traits', 'address', 'city']],
    ['traits.tags[0]', ['traits', 'tags', 0]],
    ['traits.tags[12].name', ['traits', 'tags', 12, 'name']],
    ['traits.matrix[1][2]', ['traits', 'matrix', 1, 2]],
    ['traits["first name"]', ['traits', 'first name']],
    ['traits["a.b"].c', ['traits', 'a.b', 'c']],
    ['["odd key"].x', ['odd key', 'x']],
    ['traits["say \\"hi\\""]', ['traits', 'say "hi"']],
    ['traits.prénom', ['traits', 'prénom']],
    ['properties.🚀', ['properties', '🚀']],
    ['context.$meta-data_1', ['context', '$meta-data_1']],
    ['traits.tags[9999]', ['traits', 'tags', 9999]],
  ])('%s', (path, expected) => {
    expect(parsePath(path)).toEqual(expected);
  });

  test.each<[string, RegExp]>([
    ['', /is empty/],
    ['.traits', /starts with "."/],
    ['traits.', /ends with "."/],
    ['traits..email', /empty field name at character 8/],
    ['traits.[0]', /empty field name/],
    ['[0].x', /starts with an array index/],
    ['traits.tags[]', /invalid index/],
    ['traits.tags[-1]', /invalid index/],
    ['traits.tags[01]', /invalid index/],
    ['traits.tags[1.5]', /invalid index/],
    ['traits.tags[0', /invalid index/],
    ['traits.tags[10000]', /above the limit of 9999/],
    ['traits.tags[0]x', /needs "." or "\[" before character 15/],
    ['traits.first name', /spaces, quotes or brackets.*\["first name"\]/],
    ["traits.it's", /quotes/],
    ['traits["unclosed', /unclosed/],
    ['traits[""]', /empty quoted field name/],
    ['traits.__proto__.x', /reserved name "__proto__"/],
    ['traits["__proto__"]', /reserved name "__proto__"/],
    ['traits["bad \\q"]', /invalid quoted name/],
  ])('refuses %j', (path, message) => {
    let caught: unknown;
    try {
      parsePath(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SluiceError);
    expect((caught as SluiceError).code).toBe('config_invalid');
    expect((caught as SluiceError).message).toMatch(message);
  });
});

describe('formatPath', () => {
  test.each<[PathSegment[], string]>([
    [['traits', 'email'], 'traits.email'],
    [['traits', 'tags', 0], 'traits.tags[0]'],
    [['traits', 'first name'], 'traits["first name"]'],
    [['odd key', 'x'], '["odd key"].x'],
    [['traits', 'a.b', 'c'], 'traits["a.b"].c'],
    [['traits', 'say "hi"'], 'traits["say \\"hi\\""]'],
    [['traits', ''], 'traits[""]'],
  ])('%j → %s', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
  });

  test('round-trips through parsePath', () => {
    for (const path of [
      'traits.address.city',
      'traits["first name"].x[3]',
      'a["b]c"][0]["d.e"]',
      'x.🚀[2]',
    ]) {
      expect(formatPath(parsePath(path))).toBe(path);
    }
  });
});

describe('setPath', () => {
  test('builds nested objects and arrays, filling holes with null', () => {
    const target: Record<string, unknown> = {};
    setPath(target, ['traits', 'address', 'city'], 'Paris');
    setPath(target, ['traits', 'tags', 2], 'c');
    setPath(target, ['traits', 'tags', 0], 'a');
    setPath(target, ['traits', 'items', 1, 'sku'], 'X1');
    expect(target).toEqual({
      traits: { address: { city: 'Paris' }, tags: ['a', null, 'c'], items: [null, { sku: 'X1' }] },
    });
    expect(JSON.stringify(target)).not.toContain('undefined');
  });

  test('reuses existing containers and replaces scalars in the way', () => {
    const address = { city: 'Paris' };
    const target: Record<string, unknown> = { traits: { address, plan: 'pro' } };
    setPath(target, ['traits', 'address', 'zip'], '75001');
    setPath(target, ['traits', 'plan', 'tier'], 2);
    expect(address).toEqual({ city: 'Paris', zip: '75001' });
    expect(target).toEqual({ traits: { address, plan: { tier: 2 } } });
  });

  test('replaces an object with an array when an index follows, and the reverse', () => {
    const target: Record<string, unknown> = { a: { x: 1 }, b: [1, 2] };
    setPath(target, ['a', 0], 'first');
    setPath(target, ['b', 'x'], 'named');
    expect(target).toEqual({ a: ['first'], b: { x: 'named' } });
  });

  test('a __proto__ segment becomes an own field, never the prototype', () => {
    const target: Record<string, unknown> = {};
    setPath(target, ['__proto__', 'polluted'], true);
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(target)).toBe('{"__proto__":{"polluted":true}}');
  });

  test('refuses an empty path', () => {
    expect(() => setPath({}, [], 1)).toThrow(TypeError);
  });
});
