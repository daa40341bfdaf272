import { describe, expect, it } from 'vitest';
import { prefixEnd } from './fingerprint-page.js';

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
