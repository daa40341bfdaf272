import { describe, expect, test } from 'vitest';
import type { Row } from '../core/values.js';
import type { MappingSource } from '../core/workspace.js';
import { compile, payload } from './mapping-test-kit.case.js';

/** `[path, source, extra]` triples; a bare string source is a column; lines count from 10. */
const constant = (value: unknown): MappingSource => ({ kind: 'constant', value });

describe('merge order: bundle, then whole object, then fields', () => {
  test('each layer overrides the one below it, key by key', () => {
    const mapping = compile(
      [
        ['traits', 'traits_json'],
        ['traits.plan', 'plan'],
      ],
      { bundle: { into: 'traits' } },
    );
    const row = {
      id: 1,
      traits_json: '{"plan":"json","seats":2,"tier":"json"}',
      plan: 'field',
      tier: 'bundle',
      extra: 'bundle',
    };
    expect(payload(mapping, row)).toEqual({
      userId: '1',
      traits: { tier: 'json', extra: 'bundle', plan: 'field', seats: 2 },
    });
  });

  test('an object column and field mappings under it merge, without touching the row', () => {
    const props = { revenue: 1, currency: 'EUR', items: { count: 1 }, address: 'flat' };
    const mapping = compile([
      ['properties', 'props'],
      ['properties.revenue', 'total'],
      ['properties.items.sku', 'sku'],
      ['properties.address.city', 'city'],
    ]);
    const row: Row = { id: 1, props, total: 9.5, sku: 'S1', city: 'Paris' };
    const before = structuredClone(row);
    expect(payload(mapping, row)).toEqual({
      userId: '1',
      properties: {
        revenue: 9.5,
        currency: 'EUR',
        items: { count: 1, sku: 'S1' },
        address: { city: 'Paris' },
      },
    });
    expect(row).toEqual(before);
  });

  test('a frozen constant object takes fields under it without changing', () => {
    const mapping = compile([
      ['context', constant({ library: { name: 'sluice' }, locale: 'en' })],
      ['context.library.version', 'v'],
    ]);
    expect(payload(mapping, { id: 1, v: '1.0' })).toEqual({
      userId: '1',
      context: { library: { name: 'sluice', version: '1.0' }, locale: 'en' },
    });
    expect(payload(mapping, { id: 2, v: '2.0' }).context).toEqual({
      library: { name: 'sluice', version: '2.0' },
      locale: 'en',
    });
  });

  test('a whole array takes index mappings; an array never merges by index with a shorter path', () => {
    const mapping = compile([
      ['traits.tags', 'tags'],
      ['traits.tags[1]', 'second'],
    ]);
    const tags = ['a', 'b', 'c'];
    expect(payload(mapping, { id: 1, tags, second: 'B' }).traits).toEqual({ tags: ['a', 'B', 'c'] });
    expect(tags).toEqual(['a', 'b', 'c']);
    expect(payload(mapping, { id: 1, tags: '["x"]', second: 'B' }).traits).toEqual({ tags: ['x', 'B'] });
    expect(payload(mapping, { id: 1, tags: null, second: 'B' }).traits).toEqual({ tags: [null, 'B'] });
  });

  test('a null whole object leaves only the fields', () => {
    const mapping = compile([
      ['properties', 'props'],
      ['properties.revenue', 'total'],
    ]);
    expect(payload(mapping, { id: 1, props: null, total: 3 })).toEqual({
      userId: '1',
      properties: { revenue: 3 },
    });
  });

  test.each<[string, Row[string], RegExp]>([
    ['a number', 5, /mapping "properties" \(line 10\): expected an object, got a number \(5\)/],
    ['an array', [1, 2], /expected an object, got an array/],
    ['text that is not JSON', 'hello', /expected an object, got text that is not JSON/],
    ['JSON that is not an object', '[1]', /expected an object, got an array/],
    ['a boolean', true, /expected an object, got a boolean/],
  ])('a whole object that is %s is not_an_object', (_name, props, message) => {
    for (const mapping of [
      compile([['properties', 'props']]),
      compile([
        ['properties', 'props'],
        ['properties.x', 'x'],
      ]),
    ]) {
      const result = mapping.map({ id: 1, props, x: 1 });
      expect(result).toMatchObject({ ok: false, reason: 'not_an_object' });
      expect(!result.ok && result.message).toMatch(message);
    }
  });

  test('a nested whole object that is not one, with fields under it, is not_an_object', () => {
    const mapping = compile([
      ['traits.address', 'address'],
      ['traits.address.city', 'city'],
    ]);
    expect(mapping.map({ id: 1, address: 12, city: 'Paris' })).toMatchObject({
      ok: false,
      reason: 'not_an_object',
    });
    expect(payload(mapping, { id: 1, address: '{"zip":"75001"}', city: 'Paris' }).traits).toEqual({
      address: { zip: '75001', city: 'Paris' },
    });
  });

  test('object fields set whole parse JSON text; other paths keep text as text', () => {
    const mapping = compile([
      ['integrations', 'integrations_json'],
      ['traits.address', 'address_json'],
    ]);
    const row = {
      id: 1,
      integrations_json: '{"All":false,"Mixpanel":true}',
      address_json: '{"city":"Paris"}',
    };
    expect(payload(mapping, row)).toEqual({
      userId: '1',
      integrations: { All: false, Mixpanel: true },
      traits: { address: '{"city":"Paris"}' },
    });
  });
});

describe('nulls', () => {
  const row: Row = { id: 1, email: null, plan: 'pro', nested: null };

  test.each<['send' | 'skip', Record<string, unknown>]>([
    ['send', { userId: '1', traits: { email: null, plan: 'pro', nothing: null, address: { city: null } } }],
    ['skip', { userId: '1', traits: { plan: 'pro' } }],
  ])('sync policy %s', (nulls, expected) => {
    const mapping = compile(
      [
        ['traits.email', 'email'],
        ['traits.plan', 'plan'],
        ['traits.nothing', constant(null)],
        ['traits.address.city', 'nested'],
      ],
      { nulls },
    );
    expect(payload(mapping, row)).toEqual(expected);
  });

  test('a mapping overrides the sync policy both ways', () => {
    const skipped = compile(
      [
        ['traits.email', 'email', { nulls: 'skip' }],
        ['traits.nested', 'nested'],
      ],
      { nulls: 'send' },
    );
    expect(payload(skipped, row)).toEqual({ userId: '1', traits: { nested: null } });
    const sent = compile(
      [
        ['traits.email', 'email', { nulls: 'send' }],
        ['traits.nested', 'nested'],
      ],
      { nulls: 'skip' },
    );
    expect(payload(sent, row)).toEqual({ userId: '1', traits: { email: null } });
  });

  test('a skipped null leaves the lower layer value in place', () => {
    const mapping = compile(
      [
        ['properties', 'props'],
        ['properties.revenue', 'total'],
      ],
      { nulls: 'skip' },
    );
    expect(payload(mapping, { id: 1, props: { revenue: 5 }, total: null })).toEqual({
      userId: '1',
      properties: { revenue: 5 },
    });
  });

  test('nulls inside an object value are data and are kept', () => {
    const mapping = compile([['properties', 'props']], { nulls: 'skip' });
    expect(payload(mapping, { id: 1, props: { a: null, b: 1 } })).toEqual({
      userId: '1',
      properties: { a: null, b: 1 },
    });
  });

  test('a null whole object field is left out under either policy', () => {
    for (const nulls of ['send', 'skip'] as const) {
      expect(payload(compile([['traits', 'traits_json']], { nulls }), { id: 1, traits_json: null })).toEqual({
        userId: '1',
      });
    }
  });

  test('a skipped array element keeps its place with null', () => {
    const mapping = compile(
      [
        ['traits.tags[0]', 'a'],
        ['traits.tags[1]', 'b'],
        ['traits.tags[2]', 'c'],
      ],
      { nulls: 'skip' },
    );
    expect(payload(mapping, { id: 1, a: null, b: null, c: 'z' }).traits).toEqual({ tags: [null, null, 'z'] });
    expect(payload(mapping, { id: 1, a: 'x', b: null, c: null }).traits).toEqual({ tags: ['x'] });
    expect(payload(mapping, { id: 1, a: null, b: null, c: null })).toEqual({ userId: '1' });
  });
});
