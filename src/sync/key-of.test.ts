// RowMapper.keyOf: a key names someone only if it has a visible character, and two
// different values the sources yield never give one key text.
import { describe, expect, it } from 'vitest';
import type { Row, Value } from '../core/values.js';
import { Secret } from '../core/workspace.js';
import { destinationType } from '../destinations/registry.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import { createRowMapper } from './map.js';

const mapper = createRowMapper({
  keyColumn: 'id',
  object: 'user',
  mapping: compileMapping({
    key: { column: 'id', field: 'userId' },
    mappings: [],
    nulls: 'send',
    idFields: ['userId', 'anonymousId', 'groupId'],
    objectFields: ['traits', 'context', 'integrations'],
  }),
  destination: destinationType('segment')!.create(
    {
      type: 'segment',
      writeKey: new Secret('wk_key_of'),
      region: 'us',
      endpoint: 'http://127.0.0.1:9',
      concurrency: 1,
      timeoutMs: 1000,
    },
    { version: '0.0.0-test' },
  ),
  salt: 'user',
});

const keyOf = (id: Value) => mapper.keyOf({ id } as Row);

describe('RowMapper.keyOf', () => {
  it.each([
    ['empty', ''],
    ['a space', ' '],
    ['tabs and line breaks', '\t\r\n'],
    ['no-break spaces', '\u00A0\u2007\u202F'],
    ['ideographic space', '\u3000'],
    ['line and paragraph separators', '\u2028\u2029'],
  ])('makes a key of only %s null_key', (_, id) => {
    expect(keyOf(id)).toMatchObject({
      kind: 'invalid',
      key: null,
      reason: 'null_key',
      message: 'the key column "id" is empty or only whitespace',
    });
  });

  it('says why a null key can be null (NaN, Infinity, infinite dates read as null)', () => {
    expect(keyOf(null)).toMatchObject({
      reason: 'null_key',
      message: expect.stringContaining('NaN, Infinity'),
    });
  });

  it.each([
    [' x ', ' x '],
    ['\uFEFFbom-key', '\uFEFFbom-key'],
    ['\u200B', '\u200B'], // a zero-width space is not White_Space: it is kept, as the codec keeps the id
    ['\uFEFF', '\uFEFF'], // nor is a byte order mark alone
    ['0', '0'],
    [0, '0'],
    [false, 'false'],
    ['1234567890123456789', '1234567890123456789'],
    ['2024-01-02T03:04:05.0001Z', '2024-01-02T03:04:05.0001Z'],
    [1.5, '1.5'],
  ])('keeps %j as the key %j', (id, key) => {
    expect(keyOf(id)).toMatchObject({ kind: 'keyed', key });
  });

  it('gives values one digit or one microsecond apart different keys', () => {
    const keys = [
      '1234567890123456789',
      '1234567890123456790',
      '2024-01-02T03:04:05.000Z',
      '2024-01-02T03:04:05.0001Z',
    ]
      .map((id) => keyOf(id))
      .map((k) => (k.kind === 'keyed' ? k.key : null));
    expect(new Set(keys).size).toBe(4);
  });
});
