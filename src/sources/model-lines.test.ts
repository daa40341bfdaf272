import { describe, expect, it } from 'vitest';
import { IN_WRAPPER_NOTE, lineAtPosition, placeLine, relocateLineNumber } from './model-lines.js';

describe('placing an engine error on the model’s lines', () => {
  it('counts lines of the model inside a wrapper, and says when the error is in the wrapper', () => {
    const frame = { first: 3, count: 2 };
    expect(placeLine(3, frame)).toEqual({ modelLine: 1 });
    expect(placeLine(4, frame)).toEqual({ modelLine: 2 });
    expect(placeLine(1, frame)).toEqual({ inWrapper: true });
    expect(placeLine(5, frame)).toEqual({ inWrapper: true });
    expect(placeLine(7, undefined)).toEqual({ modelLine: 7 });
  });

  it('turns a character position into a line, counting code points as PostgreSQL does', () => {
    const sql = 'select 1,\n  \u{1F600} as x\nfrom t';
    expect(lineAtPosition(sql, 1)).toBe(1);
    expect(lineAtPosition(sql, 10)).toBe(1); // the line break itself
    expect(lineAtPosition(sql, 11)).toBe(2);
    expect(lineAtPosition(sql, sql.indexOf('from') + 1 - 1)).toBe(3); // one fewer: the emoji is one character
  });

  it("rewrites DuckDB's LINE n and keeps its caret under the same character", () => {
    const words = 'Parser Error: syntax error at or near "frm"\n\nLINE 12:   frm t\n             ^';
    const { words: out, place } = relocateLineNumber(words, /\bLINE (\d+):/, { first: 3, count: 20 });
    expect(place).toEqual({ modelLine: 10 });
    expect(out).toBe('Parser Error: syntax error at or near "frm"\n\nLINE 10:   frm t\n             ^');
    const shorter = relocateLineNumber(words, /\bLINE (\d+):/, { first: 5, count: 20 });
    expect(shorter.words).toBe(
      'Parser Error: syntax error at or near "frm"\n\nLINE 8:   frm t\n            ^',
    );
  });

  it('leaves words without a line alone, and notes an error in the wrapper', () => {
    expect(relocateLineNumber('no line here', /\bLINE (\d+):/, { first: 3, count: 1 }).words).toBe(
      'no line here',
    );
    const inWrapper = relocateLineNumber('Binder Error: x\n\nLINE 1: select', /\bLINE (\d+):/, {
      first: 3,
      count: 1,
    });
    expect(inWrapper.place).toEqual({ inWrapper: true });
    expect(inWrapper.words).toBe(`Binder Error: x\n\nLINE 1: select ${IN_WRAPPER_NOTE}`);
  });
});
