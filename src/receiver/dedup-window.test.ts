import { describe, expect, it } from 'vitest';
import { DedupWindow } from './dedup-window.js';

describe('DedupWindow', () => {
  it('refuses an id seen within the window and admits it again after', () => {
    const window = new DedupWindow(1_000);
    const t0 = Date.now();
    expect(window.admit('a', t0)).toBe(true);
    expect(window.admit('a', t0 + 999)).toBe(false);
    // A copy does not extend the window: it is measured from the first sighting.
    expect(window.admit('a', t0 + 1_000)).toBe(true);
    expect(window.admit('a', t0 + 1_500)).toBe(false);
  });

  it('prunes expired ids from the front and keeps the rest', () => {
    const window = new DedupWindow(1_000);
    const t0 = Date.now();
    window.admit('old', t0);
    window.admit('mid', t0 + 500);
    window.admit('new', t0 + 900);
    window.prune(t0 + 1_600);
    expect(window.size).toBe(1);
    expect(window.admit('new', t0 + 1_600)).toBe(false);
    expect(window.admit('old', t0 + 1_600)).toBe(true);
  });

  it('forgets everything on clear', () => {
    const window = new DedupWindow(60_000);
    window.admit('a', Date.now());
    window.clear();
    expect(window.size).toBe(0);
    expect(window.admit('a', Date.now())).toBe(true);
  });
});
