import { describe, expect, test } from 'vitest';
import type { Row } from '../core/values.js';
import type { BundleConfig, MappingSource } from '../core/workspace.js';
import type { CompiledMapping, MappingSpec } from './compile-mapping.js';
import { compile as compileEntries, type Entry, payload } from './mapping-test-kit.case.js';

/** Bundle problems point at the sync's line (4). */
function compile(entries: Entry[], extra: Partial<MappingSpec> = {}): CompiledMapping {
  return compileEntries(entries, { file: 'sluice.yaml', line: 4, ...extra });
}

const row: Row = {
  id: 1,
  email: 'a@b.c',
  first: 'Ada',
  last: 'L',
  plan: 'pro',
  ssn: '000',
  age: null,
  meta: { a: null },
};
const entries: [string, string | MappingSource][] = [
  ['traits.email', 'email'],
  ['traits.name', { kind: 'template', template: '{{ first }} {{ last }}', json: false }],
];

describe('bundle', () => {
  test.each<[string, BundleConfig, 'send' | 'skip', Record<string, unknown>]>([
    [
      'every unused column',
      { into: 'traits' },
      'send',
      { plan: 'pro', ssn: '000', age: null, meta: { a: null } },
    ],
    [
      'minus exclude',
      { into: 'traits', exclude: ['ssn', 'not_a_column'] },
      'send',
      { plan: 'pro', age: null, meta: { a: null } },
    ],
    [
      'only include',
      { into: 'traits', include: ['plan', 'age', 'email'] },
      'send',
      { plan: 'pro', age: null },
    ],
    [
      'include minus exclude',
      { into: 'traits', include: ['plan', 'ssn'], exclude: ['ssn'] },
      'send',
      { plan: 'pro' },
    ],
    [
      'skipping null columns, keeping nested nulls',
      { into: 'traits' },
      'skip',
      { plan: 'pro', ssn: '000', meta: { a: null } },
    ],
    ['include, skipping nulls', { into: 'traits', include: ['plan', 'age'] }, 'skip', { plan: 'pro' }],
  ])('%s', (_name, bundle, nulls, bundled) => {
    const result = payload(compile(entries, { bundle, nulls }), row);
    expect(result).toEqual({ userId: '1', traits: { ...bundled, email: 'a@b.c', name: 'Ada L' } });
  });

  test('bundled fields come in the model column order, before the mapped ones', () => {
    const result = payload(compile(entries, { bundle: { into: 'traits', exclude: ['meta'] } }), row);
    expect(Object.keys(result.traits as object)).toEqual(['plan', 'ssn', 'age', 'email', 'name']);
  });

  test('into a nested path', () => {
    const result = payload(
      compile([['event', 'email']], { bundle: { into: 'context.traits', include: ['plan'] } }),
      row,
    );
    expect(result).toEqual({ userId: '1', event: 'a@b.c', context: { traits: { plan: 'pro' } } });
  });

  test('an empty bundle still gives an object', () => {
    const result = payload(compile([], { bundle: { into: 'traits', include: ['nope'] } }), row);
    expect(result).toEqual({ userId: '1', traits: {} });
  });

  test('a column named __proto__ is bundled as a field, not as a prototype', () => {
    const odd: Row = JSON.parse('{"id":1,"__proto__":{"polluted":true}}');
    const traits = payload(compile([], { bundle: { into: 'traits' } }), odd).traits as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(traits.polluted).toBeUndefined();
    expect(JSON.stringify(traits)).toBe('{"__proto__":{"polluted":true}}');
  });
});

describe('usedColumns and bundlesColumns', () => {
  test('the key, column sources and template variables; not the include list', () => {
    const mapping = compile(entries, { bundle: { into: 'traits', include: ['plan'] } });
    expect([...mapping.usedColumns].sort()).toEqual(['email', 'first', 'id', 'last']);
    expect(mapping.bundlesColumns).toBe(true);
    expect(compile(entries).bundlesColumns).toBe(false);
  });
});

describe('checkColumns', () => {
  const mapping = compile(
    [
      ...entries,
      ['properties.total', 'total'],
      ['context.ip', { kind: 'template', template: '{{ ip_addr }}', json: false }],
    ],
    { bundle: { into: 'traits', include: ['plann'], exclude: ['gone'] } },
  );

  test('no problems when every column is there', () => {
    expect(mapping.checkColumns(['id', 'email', 'first', 'last', 'total', 'ip_addr', 'plann'])).toEqual([]);
  });

  test('one located line per missing column, with a hint', () => {
    expect(mapping.checkColumns(['ID', 'emial', 'first', 'total_amount', 'ip', 'plan'])).toEqual([
      'sluice.yaml:4: the sync key: column "id" is not in the model — did you mean "ID"?',
      'sluice.yaml:4: the bundle\'s include list: column "plann" is not in the model — did you mean "plan"?',
      'sluice.yaml:10: mapping "traits.email": column "email" is not in the model — did you mean "emial"?',
      'sluice.yaml:11: mapping "traits.name": the template reads "last", which is not a column of the model — ' +
        "the model's columns: ID, emial, first, total_amount, ip, plan",
      'sluice.yaml:12: mapping "properties.total": column "total" is not in the model — ' +
        "the model's columns: ID, emial, first, total_amount, ip, plan",
      'sluice.yaml:13: mapping "context.ip": the template reads "ip_addr", which is not a column of the model — ' +
        "the model's columns: ID, emial, first, total_amount, ip, plan",
    ]);
  });
});
