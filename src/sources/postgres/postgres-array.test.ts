import { describe, expect, it } from 'vitest';
import { parsePgArray } from './postgres-array.js';
import { parserForOid } from './postgres-values.js';

const int = (t: string) => Number(t);
const text = (t: string) => t;

describe('parsePgArray', () => {
  it('reads flat, nested, empty and bounded arrays', () => {
    expect(parsePgArray('{1,2,NULL}', int)).toEqual([1, 2, null]);
    expect(parsePgArray('{{1,2},{3,4}}', int)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parsePgArray('{}', int)).toEqual([]);
    expect(parsePgArray('[0:1]={7,8}', int)).toEqual([7, 8]);
  });

  it('unquotes and unescapes text elements, keeping "NULL" in quotes as text', () => {
    expect(parsePgArray('{"a,b","say \\"hi\\"","back\\\\slash","","NULL",NULL,plain}', text)).toEqual([
      'a,b',
      'say "hi"',
      'back\\slash',
      '',
      'NULL',
      null,
      'plain',
    ]);
  });

  it('throws on malformed text, and the column parser keeps such text rather than crash', () => {
    expect(() => parsePgArray('{1,2', int)).toThrow(/malformed array literal/);
    expect(() => parsePgArray('{1}x', int)).toThrow(/malformed array literal/);
    expect(parserForOid(1007)('{1,2')).toBe('{1,2');
    expect(parserForOid(1007)('{1,2}')).toEqual([1, 2]);
  });
});
