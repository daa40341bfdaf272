import { describe, expect, it } from 'vitest';
import { columnValues } from '../core/text-columns.js';
import { packedFingerprintPage, prefixEnd } from './fingerprint-page.js';

describe('prefixEnd', () => {
  it('is the prefix with its last character one up, so a range of values is "starts with"', () => {
    const salt = 'c2FsdA\u0000';
    const end = prefixEnd(salt)!;
    expect(end).toBe('c2FsdA\u0001');
    const inRange = (text: string) => text > salt && text < end;
    expect(inRange(`${salt}r`)).toBe(true);
    expect(inRange(`${salt}\uffff\u{10ffff}`)).toBe(true);
    expect(inRange(salt)).toBe(false);
    expect(inRange('c2FsdAr')).toBe(false);
    expect(inRange(`${end}r`)).toBe(false);
    expect(prefixEnd('a😀')).toBe('a😁');
    expect(prefixEnd('a\ud7ff')).toBe('a\ue000');
  });

  it('is null where no such string is simple', () => {
    expect(prefixEnd('')).toBeNull();
    expect(prefixEnd('a\u{10ffff}')).toBeNull();
    expect(prefixEnd('a\ud800')).toBeNull();
  });
});

describe('packedFingerprintPage', () => {
  const salt = 's\u0000';
  it('strips the salt from each fingerprint', () => {
    const page = packedFingerprintPage(
      3,
      'a\u001fb\u001fc',
      's\u0000x\u001fs\u0000s\u0000\u001fs\u0000z',
      salt,
      'c',
    );
    expect(page?.next).toBe('c');
    expect(columnValues(page!.pairs)).toEqual([
      ['a', 'b', 'c'],
      ['x', 's\u0000', 'z'],
    ]);
    expect(columnValues(packedFingerprintPage(0, '', '', salt, null)!.pairs)).toEqual([[], []]);
  });

  it('is null when a key or fingerprint holds the separator', () => {
    expect(packedFingerprintPage(2, 'a\u001fb\u001fc', 's\u0000x\u001fs\u0000y', salt, null)).toBeNull();
    expect(packedFingerprintPage(2, 'a\u001fb', 's\u0000x\u001fs\u0000y\u001f', salt, null)).toBeNull();
  });
});
