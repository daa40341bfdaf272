import { describe, expect, test } from 'vitest';
import { ConfigError, SluiceError } from '../core/errors.js';
import type { BundleConfig, MappingSource } from '../core/workspace.js';
import { compileMapping, MappingConfigError, type MappingSpec } from './compile-mapping.js';

const column = (name: string): MappingSource => ({ kind: 'column', column: name });
const constant = (value: unknown): MappingSource => ({ kind: 'constant', value });
const template = (text: string, json = false): MappingSource => ({ kind: 'template', template: text, json });

/** Compiles `[path, source]` pairs at lines 10, 11, … and returns the problems as `line: message`. */
function problemsOf(entries: [string, MappingSource][], extra: Partial<MappingSpec> = {}): string[] {
  try {
    compileMapping({
      key: { column: 'id', field: 'userId' },
      mappings: entries.map(([path, source], i) => ({ path, source, line: 10 + i })),
      nulls: 'send',
      idFields: ['userId', 'anonymousId', 'groupId'],
      objectFields: ['traits', 'properties', 'context', 'integrations'],
      line: 4,
      ...extra,
    });
  } catch (error) {
    if (!(error instanceof MappingConfigError)) throw error;
    return error.problems.map((p) => `${p.line}: ${p.message}`);
  }
  return [];
}

describe('compile-time problems, each at its line', () => {
  test.each<[string, [string, MappingSource][], RegExp]>([
    [
      'the same path twice',
      [
        ['traits.email', column('a')],
        ['traits.email', column('b')],
      ],
      /^11: "traits.email" is mapped twice \(also at line 10\)$/,
    ],
    [
      'the same path written two ways',
      [
        ['traits.email', column('a')],
        ['traits["email"]', column('b')],
      ],
      /^11: "traits.email" is mapped twice/,
    ],
    ['the key field mapped again', [['userId', column('uid')]], /^10: "userId" is the sync key's field/],
    [
      'a field under the key field',
      [['userId.x', column('uid')]],
      /^10: "userId" is an id \(sent as a string\), but "userId.x" \(line 10\) puts a field under it$/,
    ],
    [
      'a field under an id',
      [
        ['anonymousId', column('a')],
        ['anonymousId.x', column('b')],
      ],
      /^11: "anonymousId" is an id/,
    ],
    [
      'a field under a scalar constant',
      [
        ['traits.plan', constant('pro')],
        ['traits.plan.tier', column('t')],
      ],
      /^11: "traits.plan" \(line 10\) is mapped to a scalar constant, but "traits.plan.tier" \(line 11\)/,
    ],
    [
      'a field under a text template',
      [
        ['traits.a', template('{{ x }}')],
        ['traits.a.b', column('b')],
      ],
      /^11: "traits.a" \(line 10\) is mapped to a text template \(set json: true/,
    ],
    [
      'an index under an object constant',
      [
        ['traits.a', constant({ x: 1 })],
        ['traits.a[0]', column('b')],
      ],
      /^11: "traits.a" \(line 10\) is mapped to an object constant/,
    ],
    [
      'a field under an array constant',
      [
        ['traits.a', constant([1])],
        ['traits.a.b', column('b')],
      ],
      /^11: "traits.a" \(line 10\) is mapped to an array constant/,
    ],
    [
      'indices and names under one path',
      [
        ['traits.a[0]', column('x')],
        ['traits.a.b', column('y')],
      ],
      /^10: "traits.a" is used both as an array \(indices\) and as an object/,
    ],
    [
      'an object field used as an array',
      [['traits[0]', column('x')]],
      /^10: "traits" must be an object, but "traits\[0\]" \(line 10\) uses it as an array/,
    ],
    [
      'an object field set to a scalar constant',
      [['properties', constant('x')]],
      /^10: "properties" must be an object, but it is mapped to a scalar constant$/,
    ],
    [
      'an object field set to an array constant',
      [['context', constant([1])]],
      /^10: "context" must be an object, but it is mapped to an array constant$/,
    ],
    ['a bad path', [['traits..email', column('a')]], /^10: path "traits..email" has an empty field name/],
    [
      'a template that does not parse',
      [['traits.a', template('{{ a ')]],
      /^10: mapping "traits.a": template does not parse: .*not closed/,
    ],
    [
      'an unknown filter',
      [['traits.a', template('{{ a | shout }}')]],
      /^10: mapping "traits.a": template does not parse: undefined filter: shout/,
    ],
    [
      'an empty column name',
      [['traits.a', column('')]],
      /^10: mapping "traits.a": the column name is empty$/,
    ],
  ])('%s', (_name, entries, message) => {
    const problems = problemsOf(entries);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test.each<[string, BundleConfig, [string, MappingSource][], RegExp]>([
    ['a bad into path', { into: 'traits.' }, [], /^4: the bundle's "into": path "traits." ends with "."/],
    [
      'into an array index',
      { into: 'traits.tags[0]' },
      [],
      /^4: the bundle's "into" path "traits.tags\[0\]" has an array index/,
    ],
    ['into an id', { into: 'userId' }, [], /^4: "userId" is an id/],
    [
      'into a scalar constant',
      { into: 'traits.x' },
      [['traits.x', constant(1)]],
      /^10: "traits.x" \(line 10\) is mapped to a scalar constant, but the bundle puts a value under it/,
    ],
    [
      'into a path that also has indices',
      { into: 'traits.x' },
      [['traits.x[0]', column('a')]],
      /^10: "traits.x" is used both as an array/,
    ],
  ])('bundle: %s', (_name, bundle, entries, message) => {
    const problems = problemsOf(entries, { bundle });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('a bad key field is reported at the sync line', () => {
    expect(problemsOf([], { key: { column: 'id', field: 'user id' } })).toEqual([
      expect.stringMatching(/^4: the key field: path "user id" has a field name/),
    ]);
  });

  test('every problem at once, in line order, as a ConfigError with code config_invalid', () => {
    let caught: unknown;
    try {
      compileMapping({
        key: { column: 'id', field: 'userId' },
        mappings: [
          { path: 'traits.b', source: constant(1), line: 30 },
          { path: 'traits.b.c', source: column('x'), line: 31 },
          { path: 'traits.a', source: column('x'), line: 20 },
          { path: 'traits.a', source: column('y'), line: 21 },
          { path: 'traits.', source: column('z'), line: 12 },
        ],
        nulls: 'send',
        idFields: ['userId'],
        objectFields: ['traits'],
        file: '/ws/sluice.yaml',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MappingConfigError);
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toBeInstanceOf(SluiceError);
    const error = caught as MappingConfigError;
    expect(error.code).toBe('config_invalid');
    expect(error.problems.map((p) => [p.file, p.line])).toEqual([
      ['/ws/sluice.yaml', 12],
      ['/ws/sluice.yaml', 21],
      ['/ws/sluice.yaml', 31],
    ]);
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.message).toMatch(/^\/ws\/sluice.yaml:12: path "traits." ends with "."/);
  });
});

describe('what is allowed', () => {
  test.each<[string, [string, MappingSource][], BundleConfig?]>([
    [
      'a whole object column with fields under it',
      [
        ['properties', column('p')],
        ['properties.revenue', column('r')],
      ],
    ],
    [
      'a JSON template with fields under it',
      [
        ['properties', template('{{ p | json }}', true)],
        ['properties.revenue', column('r')],
      ],
    ],
    [
      'an object constant with fields under it',
      [
        ['context', constant({ a: 1 })],
        ['context.b', column('b')],
      ],
    ],
    [
      'an array constant with indices under it',
      [
        ['traits.tags', constant(['a'])],
        ['traits.tags[1]', column('b')],
      ],
    ],
    ['a bundle into a mapped object', [['traits', column('t')]], { into: 'traits' }],
    ['a bundle next to fields', [['traits.email', column('e')]], { into: 'traits' }],
  ])('%s', (_name, entries, bundle) => {
    expect(problemsOf(entries, { bundle })).toEqual([]);
  });

  test('a key with no field, and userId mapped from a column', () => {
    expect(problemsOf([['userId', column('u')]], { key: { column: 'id' } })).toEqual([]);
  });
});
