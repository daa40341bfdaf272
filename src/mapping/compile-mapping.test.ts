import { describe, expect, test } from 'vitest';
import type { Row } from '../core/values.js';
import type { MappingSource } from '../core/workspace.js';
import { compile, payload } from './mapping-test-kit.case.js';

/** `[path, source, extra]` triples; a bare string source is a column; lines count from 10. */
const template = (text: string, json = false): MappingSource => ({ kind: 'template', template: text, json });
const constant = (value: unknown): MappingSource => ({ kind: 'constant', value });

describe('mapping forms', () => {
  test('column, constant and template sources, dotted and quoted paths', () => {
    const mapping = compile([
      ['traits.email', 'email'],
      ['traits.name', template('{{ first }} {{ last }}')],
      ['traits.address.city', 'city'],
      ['traits["first name"]', 'first'],
      ['context.source', constant('warehouse')],
      ['context.flags', constant({ beta: true, tiers: [1, 2] })],
      ['traits.score', constant(7)],
    ]);
    const row = { id: 1, email: 'a@b.c', first: 'Ada', last: 'Lovelace', city: 'Paris' };
    expect(payload(mapping, row)).toEqual({
      userId: '1',
      traits: {
        email: 'a@b.c',
        name: 'Ada Lovelace',
        address: { city: 'Paris' },
        'first name': 'Ada',
        score: 7,
      },
      context: { source: 'warehouse', flags: { beta: true, tiers: [1, 2] } },
    });
  });

  test('payload fields follow the order of the key, then the mappings', () => {
    const mapping = compile([
      ['traits.b', 'b'],
      ['event', constant('E')],
      ['traits.a', 'a'],
    ]);
    const result = payload(mapping, { id: 1, a: 1, b: 2 });
    expect(JSON.stringify(result)).toBe('{"userId":"1","traits":{"b":2,"a":1},"event":"E"}');
  });

  test('the same order whether every field has a value or a skipped null leaves one out', () => {
    // Both ways of building an object (all fields at once, or one by one when one is skipped).
    const mapping = compile([
      ['traits.b', 'b'],
      ['traits["10"]', 'ten', { nulls: 'skip' }],
      ['traits.a', 'a'],
      ['traits["2"]', 'two'],
    ]);
    expect(JSON.stringify(payload(mapping, { id: 1, a: 1, b: 2, ten: 10, two: null }))).toBe(
      '{"userId":"1","traits":{"2":null,"10":10,"b":2,"a":1}}',
    );
    expect(JSON.stringify(payload(mapping, { id: 1, a: 1, b: 2, ten: null, two: 2 }))).toBe(
      '{"userId":"1","traits":{"2":2,"b":2,"a":1}}',
    );
    const skipAll = compile([['traits.x', 'x', { nulls: 'skip' }]]);
    expect(payload(skipAll, { id: 1, x: null })).toEqual({ userId: '1' });
  });

  test('array indices build arrays, holes become null', () => {
    const mapping = compile([
      ['traits.tags[2]', 'c'],
      ['traits.tags[0]', 'a'],
      ['properties.items[1].sku', 'sku'],
    ]);
    expect(payload(mapping, { id: 1, a: 'x', c: 'z', sku: 'S1' })).toEqual({
      userId: '1',
      traits: { tags: ['x', null, 'z'] },
      properties: { items: [null, { sku: 'S1' }] },
    });
  });

  test('constants are frozen copies shared by every row', () => {
    const value = { nested: { n: 1 } };
    const mapping = compile([['context.extra', constant(value)]]);
    value.nested.n = 2;
    const first = payload(mapping, { id: 1 });
    const second = payload(mapping, { id: 2 });
    expect((first.context as Record<string, unknown>).extra).toEqual({ nested: { n: 1 } });
    expect((first.context as Record<string, unknown>).extra).toBe(
      (second.context as Record<string, unknown>).extra,
    );
    expect(
      Object.isFrozen(((first.context as Record<string, unknown>).extra as { nested: object }).nested),
    ).toBe(true);
  });

  test('an object of constants only is one frozen object shared by every row', () => {
    const mapping = compile([
      ['context.source', constant('warehouse')],
      ['context.app.name', constant('sluice')],
      ['context.gone', constant(null), { nulls: 'skip' }],
    ]);
    const first = payload(mapping, { id: 1 });
    const second = payload(mapping, { id: 2 });
    expect(first.context).toEqual({ source: 'warehouse', app: { name: 'sluice' } });
    expect(first.context).toBe(second.context);
    expect(Object.isFrozen(first.context)).toBe(true);
    expect(Object.isFrozen((first.context as { app: object }).app)).toBe(true);
    // The root is built per row; a constant object with nothing in it is left out.
    expect(first).not.toBe(second);
    expect(payload(compile([['context.gone', constant(null), { nulls: 'skip' }]]), { id: 1 })).toEqual({
      userId: '1',
    });
  });

  test('constants under a whole object still merge into that row’s object', () => {
    const mapping = compile([
      ['traits', 'props'],
      ['traits.meta.source', constant('warehouse')],
    ]);
    const merged = payload(mapping, { id: 1, props: { meta: { plan: 'pro' } } });
    expect(merged.traits).toEqual({ meta: { plan: 'pro', source: 'warehouse' } });
    expect(Object.isFrozen((merged.traits as { meta: object }).meta)).toBe(false);
    const alone = payload(mapping, { id: 2, props: { meta: 'text' } });
    expect(alone.traits).toEqual({ meta: { source: 'warehouse' } });
  });

  test('the key goes to key.field; without a field it is not in the payload', () => {
    expect(payload(compile([]), { id: 7 })).toEqual({ userId: '7' });
    expect(
      payload(compile([['event', constant('Order')]], { key: { column: 'order_id' } }), { order_id: 7 }),
    ).toEqual({
      event: 'Order',
    });
  });

  test('the key is placed even when null and nulls is skip (validation reports null_key)', () => {
    expect(payload(compile([], { nulls: 'skip' }), { id: null })).toEqual({ userId: null });
  });

  // SPEC §3: a null event timestamp is invalid_timestamp, so it must reach validation, not vanish
  // under nulls: skip and leave the event to be stamped with the send time.
  test('the top-level timestamp is placed even when null and nulls is skip; deeper ones are skipped', () => {
    const row = { order_id: 7, at: null };
    const key = { key: { column: 'order_id' } };
    expect(payload(compile([['timestamp', 'at']], { ...key, nulls: 'skip' }), row)).toEqual({
      timestamp: null,
    });
    expect(payload(compile([['timestamp', 'at', { nulls: 'skip' }]], key), row)).toEqual({ timestamp: null });
    expect(payload(compile([['properties.timestamp', 'at']], { ...key, nulls: 'skip' }), row)).toEqual({});
  });

  test('unicode and emoji pass through columns, constants and templates untouched', () => {
    const mapping = compile([
      ['traits.name', 'name'],
      ['traits.greeting', template('¡Hola {{ name }}! 👋')],
      ['traits.tag', constant('🚀 ünïcødé')],
      ['properties.🎉', 'name'],
    ]);
    expect(payload(mapping, { id: 1, name: 'Zoë 👩‍💻' })).toEqual({
      userId: '1',
      traits: { name: 'Zoë 👩‍💻', greeting: '¡Hola Zoë 👩‍💻! 👋', tag: '🚀 ünïcødé' },
      properties: { '🎉': 'Zoë 👩‍💻' },
    });
  });
});

describe('JSON templates', () => {
  test('the output is parsed', () => {
    const mapping = compile([
      ['properties', template('{{ props | except: "ssn" | json }}', true)],
      ['properties.count', template('{{ n | plus: 1 }}', true)],
      ['traits.list', template('[{{ a | json }}, "{{ b }}"]', true)],
    ]);
    expect(payload(mapping, { id: 1, props: { ssn: 'x', plan: 'pro' }, n: 41, a: 'é😀', b: 'z' })).toEqual({
      userId: '1',
      properties: { plan: 'pro', count: 42 },
      traits: { list: ['é😀', 'z'] },
    });
  });

  test('output that is not JSON is a template_error naming the mapping', () => {
    const mapping = compile([['traits.x', template('{{ a }}', true)]]);
    const result = mapping.map({ id: 1, a: 'not json' });
    expect(result).toMatchObject({ ok: false, reason: 'template_error' });
    expect(!result.ok && result.message).toMatch(
      /mapping "traits.x" \(line 10\): output is not valid JSON .*"not json"/,
    );
  });
});

describe('ids become strings', () => {
  test.each<[unknown, unknown]>([
    [42, '42'],
    [0, '0'],
    [-7, '-7'],
    [1.5, '1.5'],
    ['9007199254740993', '9007199254740993'],
    [' spaced ', ' spaced '],
    ['', ''],
    [true, true],
    [{ a: 1 }, { a: 1 }],
    [[1], [1]],
  ])('%j → %j', (value, expected) => {
    const mapping = compile(
      [
        ['anonymousId', 'v'],
        ['groupId', template('{{ v | json }}', true)],
        ['traits.userId', 'v'],
      ],
      { key: { column: 'v', field: 'userId' } },
    );
    const result = payload(mapping, { v: value as Row[string] });
    expect(result.userId).toEqual(expected);
    expect(result.anonymousId).toEqual(expected);
    expect(result.groupId).toEqual(expected);
    // Only top-level id fields are coerced.
    expect((result.traits as Record<string, unknown>).userId).toEqual(value);
  });

  test('null ids follow the nulls policy', () => {
    expect(payload(compile([['anonymousId', 'a']]), { id: 1, a: null })).toEqual({
      userId: '1',
      anonymousId: null,
    });
    expect(payload(compile([['anonymousId', 'a']], { nulls: 'skip' }), { id: 1, a: null })).toEqual({
      userId: '1',
    });
  });
});

describe('map never throws', () => {
  const mapping = compile([
    ['traits.name', template('{{ first | upcase }}')],
    ['traits.hash', template('{{ props | sha256 }}')],
    ['traits.email', 'email'],
  ]);

  test.each<[string, Row, RegExp]>([
    [
      'a missing template variable',
      { id: 1, props: 'x', email: 'e' },
      /mapping "traits.name" \(line 10\): undefined variable: first/,
    ],
    [
      'a filter given the wrong kind',
      { id: 1, first: 'a', props: { a: 1 }, email: 'e' },
      /mapping "traits.hash" \(line 11\): .*filter "sha256" expects text/,
    ],
    [
      'a missing column',
      { id: 1, first: 'a', props: 'x' },
      /mapping "traits.email" \(line 12\): column "email" is not in the row/,
    ],
    [
      'a missing key column',
      { first: 'a', props: 'x', email: 'e' },
      /the sync key: column "id" is not in the row/,
    ],
  ])('%s is a template_error', (_name, row, message) => {
    const result = mapping.map(row);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('template_error');
    expect(!result.ok && result.message).toMatch(message);
    // The next good row maps normally.
    expect(mapping.map({ id: 2, first: 'b', props: 'p', email: 'e' }).ok).toBe(true);
  });
});
