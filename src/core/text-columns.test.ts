import { describe, expect, it } from 'vitest';
import {
  columnValues,
  isPacked,
  packColumns,
  packedIfExact,
  rowsOf,
  UNIT_SEPARATOR,
} from './text-columns.js';

describe('text columns', () => {
  it('packs lists and gives the same values back, empty values and rows included', () => {
    for (const columns of [
      [[], []],
      [[''], ['x']],
      [
        ['a', '', 'ключ-😀\u0000'],
        ['1', '2', '3'],
      ],
    ]) {
      const packed = packColumns(columns);
      expect(packed).not.toBeNull();
      expect(isPacked(packed!)).toBe(true);
      expect(rowsOf(packed!)).toBe(columns[0]!.length);
      expect(columnValues(packed!)).toEqual(columns);
    }
  });

  it('refuses to pack a value holding the separator, and a joined column of another row count', () => {
    expect(packColumns([['a', `b${UNIT_SEPARATOR}c`]])).toBeNull();
    expect(packedIfExact(2, [`a${UNIT_SEPARATOR}b`, `a${UNIT_SEPARATOR}b${UNIT_SEPARATOR}c`])).toBeNull();
    expect(packedIfExact(0, ['x'])).toBeNull();
    expect(packedIfExact(1, [''])).toEqual({ rows: 1, packed: [''] });
  });

  it('takes columns joined elsewhere as UTF-8 bytes, a leading U+FEFF kept as part of a value', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const packed = packedIfExact(2, [bytes('\ufeffключ\u001f😀\u0000'), bytes('a\u001fb')]);
    expect(columnValues(packed!)).toEqual([
      ['\ufeffключ', '😀\u0000'],
      ['a', 'b'],
    ]);
    expect(packedIfExact(2, [bytes('a\u001fb\u001fc'), bytes('a\u001fb')])).toBeNull();
    expect(packedIfExact(0, [new Uint8Array(0)])).toEqual({ rows: 0, packed: [new Uint8Array(0)] });
  });

  it('counts the rows of lists too', () => {
    expect(
      rowsOf([
        ['a', 'b'],
        ['1', '2'],
      ]),
    ).toBe(2);
    expect(rowsOf([])).toBe(0);
  });
});
