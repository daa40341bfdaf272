import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkProperty, hostileKey } from '../../test/helpers/hostile-values.js';
import { recordFactory } from './record-factory.js';
import { putField } from './set-path.js';

/** What the factory must equal: the keys assigned one by one to `{}`, as the evaluator does. */
function assigned(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach((key, i) => {
    putField(out, key, values[i]);
  });
  return out;
}

function expectSame(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
  expect(Reflect.ownKeys(actual)).toEqual(Reflect.ownKeys(expected));
  expect(Object.getOwnPropertyDescriptors(actual)).toEqual(Object.getOwnPropertyDescriptors(expected));
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

describe('recordFactory', () => {
  test('builds the object that assigning the keys in order builds, integer-like keys first', () => {
    const keys = ['email', '10', 'name', '1', '01', '-1', '4294967295', '', 'constructor', 'toString'];
    const values = keys.map((key, i) => (i % 2 === 0 ? `${key}!` : { i }));
    const make = recordFactory(keys);
    expect(make).toBeDefined();
    expectSame(make!(values), assigned(keys, values));
    expect(Object.keys(make!(values)).slice(0, 2)).toEqual(['1', '10']);
  });

  test('a fresh object per call', () => {
    const make = recordFactory(['a'])!;
    const first = make([1]);
    const second = make([2]);
    expect(first).not.toBe(second);
    expect(first).toEqual({ a: 1 });
  });

  test('keys are data, never code', () => {
    const keys = ['"};globalThis.pwned=1;({"', '\\', '\u2028', '\u0000', '$' + '{x}', '`', '\ud800'];
    const values = keys.map((_, i) => i);
    expectSame(recordFactory(keys)!(values), assigned(keys, values));
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  test('refuses __proto__ (a literal would set the prototype) and repeated keys', () => {
    expect(recordFactory(['a', '__proto__'])).toBeUndefined();
    expect(recordFactory(['a', 'a'])).toBeUndefined();
  });

  test('equals one-by-one assignment for any distinct keys', () => {
    checkProperty(
      fc.property(
        fc.uniqueArray(hostileKey, { maxLength: 12 }).map((keys) => keys.filter((k) => k !== '__proto__')),
        (keys) => {
          const values = keys.map((key) => key.length);
          expectSame(recordFactory(keys)!(values), assigned(keys, values));
        },
      ),
      500,
    );
  });
});
