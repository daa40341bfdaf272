import { describe, expect, it } from 'vitest';
import { batchItemSpans } from './batch-item-spans.js';

const spans = (text: string) => batchItemSpans(Buffer.from(text, 'utf8'));

describe('batchItemSpans', () => {
  it('measures each item of a compact batch in bytes', () => {
    const items = [{ a: 1 }, { b: 'xyz' }, { c: [1, { d: 'é' }] }];
    const text = JSON.stringify({ writeKey: 'k', batch: items, sentAt: 'x' });
    expect(spans(text)).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
  });

  it('excludes the whitespace around items and handles pretty-printed bodies', () => {
    const items = [{ a: 1 }, { b: [1, 2] }];
    const text = JSON.stringify({ batch: items }, null, 2);
    const expected = items.map((i) =>
      Buffer.byteLength(JSON.stringify(i, null, 2).replaceAll('\n', '\n    ')),
    );
    expect(spans(text)).toEqual(expected);
  });

  it('skips quotes, brackets and commas inside strings, including escaped quotes and backslashes', () => {
    const items = [{ s: 'a"b,c]d}' }, { s: 'ends with backslash\\' }, { s: '\\"' }];
    const text = JSON.stringify({ batch: items });
    expect(spans(text)).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
  });

  it('measures scalar items and an empty batch', () => {
    expect(spans('{"batch":[1, "two" ,null,true ,[]]}')).toEqual([1, 5, 4, 4, 2]);
    expect(spans('{"batch":[]}')).toEqual([]);
    expect(spans('{"batch": [ ] }')).toEqual([]);
  });

  it('ignores a nested "batch" key and takes the last top-level one, as JSON.parse does', () => {
    expect(spans('{"context":{"batch":[1,2,3]},"batch":[{"x":1}]}')).toEqual([7]);
    expect(spans('{"batch":[1,2,3],"batch":[{"x":1}]}')).toEqual([7]);
  });

  it('gives up (undefined) when a top-level key is escaped or there is no batch', () => {
    expect(spans('{"b\\u0061tch":[1,2]}')).toBeUndefined();
    expect(spans('{"writeKey":"k"}')).toBeUndefined();
  });
});
