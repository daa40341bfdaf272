import { describe, expect, it } from 'vitest';
import { diffMessages, isWithin, jsonLines, leafPaths } from './json-paths';

describe('json paths (as the engine writes changed_fields)', () => {
  it('names leaves with dots, indices and quoted odd names', () => {
    const leaves = leafPaths({
      traits: { email: 'a@x', tags: ['a', 'b'], 'odd name': 1, empty: {} },
      userId: '1',
    });
    expect([...leaves.keys()]).toEqual([
      'traits.email',
      'traits.tags[0]',
      'traits.tags[1]',
      'traits["odd name"]',
      'traits.empty',
      'userId',
    ]);
  });

  it('knows a leaf inside a changed container', () => {
    expect(isWithin('traits.tags[0]', 'traits.tags')).toBe(true);
    expect(isWithin('traits.tagsOld', 'traits.tags')).toBe(false);
    expect(isWithin('traits.email', 'traits.email')).toBe(true);
  });
});

describe('diffMessages', () => {
  it('lists added, removed and changed leaves, leaving out the ignored ones', () => {
    const older = { messageId: 'm1', traits: { email: 'a@x', plan: 'free', gone: true } };
    const newer = { messageId: 'm2', traits: { email: 'a@x', plan: 'pro', added: [1] } };
    expect(diffMessages(older, newer, ['messageId'])).toEqual([
      { path: 'traits.added[0]', kind: 'added', after: 1 },
      { path: 'traits.gone', kind: 'removed', before: true },
      { path: 'traits.plan', kind: 'changed', before: 'free', after: 'pro' },
    ]);
  });

  it('finds nothing between equal messages', () => {
    expect(diffMessages({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
  });
});

describe('jsonLines', () => {
  it('prints what JSON.stringify prints, each leaf line with its path', () => {
    const value = { type: 'identify', traits: { email: 'a@x', tags: ['x'], none: {} }, n: null };
    const lines = jsonLines(value);
    expect(lines.map((l) => l.text).join('\n')).toBe(JSON.stringify(value, null, 2));
    expect(lines.filter((l) => l.path !== null).map((l) => l.path)).toEqual([
      'type',
      'traits.email',
      'traits.tags[0]',
      'traits.none',
      'n',
    ]);
  });
});
