// Bad input, property-based: random mappings over random rows of hostile values.
// Compiling either succeeds or names config problems; mapping a row never throws, never leaks an
// engine error as a crash, never touches Object.prototype or the row, and a failure is always one
// of SPEC §3's row reason codes.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  anyCell,
  checkProperty,
  hostileScalar,
  hostileValue,
  nested,
  objectOf,
} from '../../test/helpers/hostile-values.js';
import type { Row } from '../core/values.js';
import type { Mapping, MappingSource } from '../core/workspace.js';
import {
  type CompiledMapping,
  changedFields,
  compileMapping,
  leafPaths,
  MappingConfigError,
  type MappingSpec,
} from './compile-mapping.js';
import { isRecord } from './set-path.js';

const ID_FIELDS = ['userId', 'anonymousId', 'groupId'] as const;
const OBJECT_FIELDS = ['traits', 'properties', 'context', 'integrations'] as const;
/** Columns every generated row has: templates read these by name (Liquid identifiers). */
const COLUMNS = ['id', 'c0', 'c1', 'c2', 'c3'] as const;
/** Column names a model can have that collide with JavaScript and JSON (own properties of the row). */
const ODD_COLUMNS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'a.b',
  '🎉',
  '\u0000',
] as const;

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  // A mapping that wrote through `__proto__` or `constructor.prototype` would show up here.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
});

/** Freezes every object in a value without recursion (cells may be nested 100,000 deep). */
function deepFreeze(value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next !== 'object' || next === null || Object.isFrozen(next)) continue;
    Object.freeze(next);
    for (const key of Object.keys(next)) stack.push((next as Record<string, unknown>)[key]);
  }
}

/** Structural equality without recursion (payloads may hold cells nested 20,000 deep); NaN equals NaN. */
function sameValue(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const keys = Object.keys(x);
    if (keys.join('\u0000') !== Object.keys(y).join('\u0000')) return false;
    for (const key of keys) {
      stack.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

const path: fc.Arbitrary<string> = fc.constantFrom(
  'traits',
  'traits.email',
  'traits.a.b',
  'traits.a.b.c',
  'traits["first name"]',
  'traits["__proto__"]',
  'traits.__proto__',
  'traits.constructor',
  'traits.toString',
  'traits.🎉',
  'traits.tags[0]',
  'traits.tags[2]',
  'traits.tags[9999]',
  'properties',
  'properties.revenue',
  'properties.items[1].sku',
  'context',
  'context.ip',
  'context.library',
  'integrations',
  'integrations.All',
  'anonymousId',
  'groupId',
  'event',
  'timestamp',
);

const templateText: fc.Arbitrary<string> = fc.constantFrom(
  '{{ c0 }}',
  '{{ c0 }} {{ c1 }}',
  '{{ c1 | json }}',
  '{{ c0 | upcase }}',
  '{{ c0 | sha256 }}',
  '{{ c0 | base64 }}',
  "{{ c1 | except: 'a', '__proto__' | json }}",
  "{{ c1 | only: 'constructor' | json }}",
  "{{ c1 | keys | join: ',' }}",
  "{{ c0 | date: '%Y-%m-%d' }}",
  '{{ c0 | plus: 1 }}',
  '{{ c0 | size }}',
  "{{ c0 | default: 'none' }}",
  "{{ c0 | split: ',' | first }}",
  '{% if c0 %}yes{% else %}no{% endif %}',
  '{% for x in c1 %}{{ x }}{% endfor %}',
  '{{ c2.constructor }}',
  '{{ c3[0] }}',
);

const source: fc.Arbitrary<MappingSource> = fc.oneof(
  fc.constantFrom(...COLUMNS, ...ODD_COLUMNS).map((column) => ({ kind: 'column' as const, column })),
  hostileValue.map((value) => ({ kind: 'constant' as const, value })),
  fc.record({ template: templateText, json: fc.boolean() }).map((t) => ({ kind: 'template' as const, ...t })),
);

const mappings: fc.Arbitrary<Mapping[]> = fc
  .array(
    fc.record({
      path,
      source,
      nulls: fc.constantFrom<'send' | 'skip' | undefined>(undefined, 'send', 'skip'),
    }),
    { maxLength: 8 },
  )
  .map((list) =>
    list.map((m, i) => ({
      path: m.path,
      source: m.source,
      line: 10 + i,
      ...(m.nulls === undefined ? {} : { nulls: m.nulls }),
    })),
  );

const spec: fc.Arbitrary<MappingSpec> = fc
  .record({
    field: fc.constantFrom('userId', 'anonymousId', undefined),
    mappings,
    bundle: fc.option(
      fc.record({
        into: fc.constantFrom('traits', 'properties', 'traits.extra', 'context.bundle'),
        exclude: fc.constantFrom<string[] | undefined>(undefined, ['c0'], ['__proto__']),
        include: fc.constantFrom<string[] | undefined>(undefined, ['c1', 'c2', '__proto__', 'constructor']),
      }),
      { nil: undefined },
    ),
    nulls: fc.constantFrom<'send' | 'skip'>('send', 'skip'),
  })
  .map(({ field, mappings: list, bundle, nulls }) => ({
    key: field === undefined ? { column: 'id' } : { column: 'id', field },
    mappings: list,
    ...(bundle === undefined
      ? {}
      : {
          bundle: {
            into: bundle.into,
            ...(bundle.exclude ? { exclude: bundle.exclude } : {}),
            ...(bundle.include ? { include: bundle.include } : {}),
          },
        }),
    nulls,
    idFields: ID_FIELDS,
    objectFields: OBJECT_FIELDS,
  }));

/** A row with the template columns and the odd ones, every cell hostile, huge or deep. */
const row: fc.Arbitrary<Row> = fc
  .record({
    id: fc.oneof(hostileScalar, hostileValue),
    cells: fc.array(anyCell, { minLength: COLUMNS.length - 1, maxLength: COLUMNS.length - 1 }),
    odd: fc.array(fc.option(hostileValue, { nil: undefined }), {
      minLength: ODD_COLUMNS.length,
      maxLength: ODD_COLUMNS.length,
    }),
  })
  .map(({ id, cells, odd }) => {
    const entries: [string, unknown][] = [['id', id]];
    cells.forEach((cell, i) => {
      entries.push([COLUMNS[i + 1] as string, cell]);
    });
    // Odd columns are sometimes absent: a column mapping then fails the row, not the run.
    odd.forEach((cell, i) => {
      if (cell !== undefined) entries.push([ODD_COLUMNS[i] as string, cell]);
    });
    return objectOf(entries) as Row;
  });

function compileOrProblems(s: MappingSpec): CompiledMapping | undefined {
  try {
    return compileMapping(s);
  } catch (error) {
    // Compile-time problems are config errors with their lines, never anything else.
    expect(error).toBeInstanceOf(MappingConfigError);
    expect((error as MappingConfigError).problems.length).toBeGreaterThan(0);
    return undefined;
  }
}

describe('compileMapping over random mappings and hostile rows', () => {
  it('maps every row to a payload or a row reason, never a throw, never an engine error', () => {
    let compiled = 0;
    let mapped = 0;
    checkProperty(
      fc.property(spec, fc.array(row, { minLength: 1, maxLength: 3 }), (s, rows) => {
        const mapping = compileOrProblems(s);
        if (mapping === undefined) return;
        compiled++;
        for (const r of rows) {
          deepFreeze(r);
          const result = mapping.map(r);
          if (!result.ok) {
            expect(['template_error', 'not_an_object']).toContain(result.reason);
            // "mapping failed:" marks an error that is not a RowFailure: a bug, not bad data.
            expect(result.message).not.toMatch(/^mapping failed:/);
            continue;
          }
          mapped++;
          const payload = result.payload;
          expect(isRecord(payload)).toBe(true);
          const allowed = new Set<string>([
            ...(s.key.field ? [s.key.field] : []),
            ...s.mappings.map((m) => m.path.split(/[.[]/)[0] as string),
            ...(s.bundle ? [s.bundle.into.split('.')[0] as string] : []),
          ]);
          for (const field of Object.keys(payload)) expect(allowed).toContain(field);
          for (const field of OBJECT_FIELDS) {
            if (Object.hasOwn(payload, field)) expect(isRecord(payload[field])).toBe(true);
          }
          // The key's id field is text whenever the key was a finite number.
          const keyValue = r.id;
          if (s.key.field !== undefined && typeof keyValue === 'number' && Number.isFinite(keyValue)) {
            expect(payload[s.key.field]).toBe(String(keyValue));
          }
        }
      }),
      250,
    );
    // Not vacuous: most generated mappings compile and map.
    expect(compiled).toBeGreaterThan(50);
    expect(mapped).toBeGreaterThan(50);
  });

  it('is deterministic: the same row maps to the same payload', () => {
    checkProperty(
      fc.property(spec, row, (s, r) => {
        const mapping = compileOrProblems(s);
        if (mapping === undefined) return;
        const first = mapping.map(r);
        const second = mapping.map(r);
        expect(second.ok).toBe(first.ok);
        if (!first.ok || !second.ok) return;
        expect(sameValue(second.payload, first.payload)).toBe(true);
      }),
      150,
    );
  });

  it('keeps column names as data: a __proto__ or constructor column is a field, not a prototype', () => {
    const mapping = compileMapping({
      key: { column: 'id', field: 'userId' },
      mappings: [],
      bundle: { into: 'traits' },
      nulls: 'send',
      idFields: ID_FIELDS,
      objectFields: OBJECT_FIELDS,
    });
    const r = objectOf([
      ['id', 1],
      ['__proto__', { polluted: true }],
      ['constructor', { prototype: { polluted: true } }],
    ]) as Row;
    const result = mapping.map(r);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const traits = result.payload.traits as Record<string, unknown>;
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(Object.keys(traits)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result.payload))).toEqual(
      JSON.parse(
        '{"userId":"1","traits":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}',
      ),
    );
  });
});

describe('changedFields over hostile payloads (dry-run explanations)', () => {
  /** Payloads as a dry run sees them: parsed back from the JSON that was (or would be) sent. */
  const sent: fc.Arbitrary<unknown> = fc
    .oneof(
      { arbitrary: hostileValue, weight: 8 },
      {
        arbitrary: fc.integer({ min: 1, max: 2_000 }).map((depth) => ({ deep: nested(depth, 'object') })),
        weight: 1,
      },
    )
    .map((value) => JSON.parse(JSON.stringify({ traits: value })) as unknown);

  it('never throws, finds no change between equal payloads, and names every leaf that differs', () => {
    checkProperty(
      fc.property(sent, sent, (a, b) => {
        expect(changedFields(a, a)).toEqual([]);
        expect(changedFields(a, JSON.parse(JSON.stringify(a)))).toEqual([]);
        const changed = changedFields(a, b);
        expect([...changed].sort()).toEqual(changed);
        const before = leafPaths(a);
        const after = leafPaths(b);
        for (const [leaf, value] of after) {
          const same = before.has(leaf) && JSON.stringify(before.get(leaf)) === JSON.stringify(value);
          expect(changed.includes(leaf)).toBe(!same);
        }
        for (const leaf of before.keys()) if (!after.has(leaf)) expect(changed).toContain(leaf);
      }),
      200,
    );
  });
});
