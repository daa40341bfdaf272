import { describe, expect, test } from 'vitest';
import { changedFields, leafPaths } from './changed-fields.js';

describe('leafPaths', () => {
  test('flattens objects and arrays to canonical leaf paths', () => {
    const leaves = leafPaths({
      userId: '42',
      traits: {
        email: 'a@b.c',
        address: { city: 'Paris' },
        tags: ['x', 'y'],
        'first name': 'Ada',
        empty: {},
        none: [],
        nothing: null,
        gone: undefined,
      },
    });
    expect([...leaves]).toEqual([
      ['userId', '42'],
      ['traits.email', 'a@b.c'],
      ['traits.address.city', 'Paris'],
      ['traits.tags[0]', 'x'],
      ['traits.tags[1]', 'y'],
      ['traits["first name"]', 'Ada'],
      ['traits.empty', {}],
      ['traits.none', []],
      ['traits.nothing', null],
    ]);
  });

  test('a scalar is the single leaf "", undefined has none, an empty root has none', () => {
    expect([...leafPaths(5)]).toEqual([['', 5]]);
    expect([...leafPaths(null)]).toEqual([['', null]]);
    expect(leafPaths(undefined).size).toBe(0);
    expect(leafPaths({}).size).toBe(0);
  });
});

describe('changedFields', () => {
  const base = {
    userId: '1',
    traits: { email: 'a@b.c', plan: 'free', tags: ['x', 'y'], address: { city: 'Paris' } },
  };

  test.each<[string, unknown, string[]]>([
    ['nothing changed', structuredClone(base), []],
    ['a value changed', { ...base, traits: { ...base.traits, plan: 'pro' } }, ['traits.plan']],
    ['a field added', { ...base, traits: { ...base.traits, age: 3 } }, ['traits.age']],
    [
      'a field removed',
      { userId: '1', traits: { email: 'a@b.c', tags: ['x', 'y'], address: { city: 'Paris' } } },
      ['traits.plan'],
    ],
    ['a value became null', { ...base, traits: { ...base.traits, plan: null } }, ['traits.plan']],
    ['a number became its string', { ...base, userId: 1 }, ['userId']],
    ['an array grew', { ...base, traits: { ...base.traits, tags: ['x', 'y', 'z'] } }, ['traits.tags[2]']],
    ['an array shrank', { ...base, traits: { ...base.traits, tags: ['x'] } }, ['traits.tags[1]']],
    [
      'an array element changed',
      { ...base, traits: { ...base.traits, tags: ['x', 'q'] } },
      ['traits.tags[1]'],
    ],
    [
      'an array emptied',
      { ...base, traits: { ...base.traits, tags: [] } },
      ['traits.tags', 'traits.tags[0]', 'traits.tags[1]'],
    ],
    [
      'a nested object replaced by a scalar',
      { ...base, traits: { ...base.traits, address: 'Paris' } },
      ['traits.address', 'traits.address.city'],
    ],
    [
      'several, sorted',
      { userId: '2', traits: { ...base.traits, email: 'z@b.c', address: { city: 'Lyon' } } },
      ['traits.address.city', 'traits.email', 'userId'],
    ],
  ])('%s', (_name, next, expected) => {
    expect(changedFields(base, next)).toEqual(expected);
  });

  test('everything is added when there was nothing before', () => {
    expect(changedFields(undefined, { userId: '1', traits: { a: 1 } })).toEqual(['traits.a', 'userId']);
  });

  test('an empty object and a missing one differ; {} and [] differ', () => {
    expect(changedFields({ traits: {} }, {})).toEqual(['traits']);
    expect(changedFields({ traits: {} }, { traits: [] })).toEqual(['traits']);
    expect(changedFields({ traits: {} }, { traits: {} })).toEqual([]);
  });
});
