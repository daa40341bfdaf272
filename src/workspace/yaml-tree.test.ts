// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import { readYamlTree, type TreeProblem } from './yaml-tree.js';

const duplicate = (_path: readonly (string | number)[], key: string, firstLine: number): TreeProblem => ({
  line: 0,
  message: `duplicate ${key} (first on ${firstLine})`,
});

function read(text: string, env: NodeJS.ProcessEnv = {}) {
  return readYamlTree(text, env, duplicate);
}

describe('readYamlTree', () => {
  it('reports a syntax error with its line and no tree', () => {
    const { tree, problems } = read('a: 1\nb: [1, 2\nc: 3\n');
    expect(tree).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ line: 3, fix: 'fix the YAML syntax' });
    expect(problems[0]?.message).toMatch(/^YAML: Flow sequence/);
    expect(read('a: 1\nb c\nd: 2\n').problems[0]).toMatchObject({
      line: 2,
      message: 'YAML: Implicit map keys need to be followed by map values',
    });
  });

  it('refuses several documents in one file', () => {
    expect(read('a: 1\n---\nb: 2\n').problems[0]).toMatchObject({
      line: 2,
      message: expect.stringMatching(/multiple documents/),
    });
  });

  it('refuses a billion-laughs alias bomb quickly', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = 'a';
    for (const name of 'bcdefghijklmnop') {
      bomb += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`;
      previous = name;
    }
    const started = performance.now();
    const { tree, problems } = read(bomb);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(tree).toBeUndefined();
    expect(problems).toEqual([
      {
        line: 3,
        message: 'more than 100 alias expansions (a YAML "billion laughs"?)',
        fix: 'write the values out instead of nesting aliases',
      },
    ]);
  });

  it('refuses a few aliases to a huge anchor', () => {
    const anchor = `big: &big [${Array(3_000).fill('1').join(',')}]\n`;
    const { tree, problems } = read(`${anchor}${['x', 'y', 'z', 'w'].map((k) => `${k}: *big`).join('\n')}\n`);
    expect(tree).toBeUndefined();
    expect(problems[0]?.message).toBe('aliases expand to more than 10000 values');
  });

  it('expands anchors, aliases and << merge keys, explicit keys winning', () => {
    const { tree, problems } = read(
      [
        'defaults: &d { object: user, nulls: skip }',
        'sync:',
        '  <<: *d',
        '  nulls: send',
        '  list: [*d]',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(tree?.value).toEqual({
      defaults: { object: 'user', nulls: 'skip' },
      sync: { nulls: 'send', list: [{ object: 'user', nulls: 'skip' }], object: 'user' },
    });
    expect(tree?.lineOf(['sync', 'object'])).toBe(3);
    expect(tree?.lineOf(['sync', 'nulls'])).toBe(4);
  });

  it('reports an alias that contains itself', () => {
    expect(read('a: &x [1, *x]\n').problems).toEqual([
      expect.objectContaining({ line: 1, message: 'alias *x contains itself' }),
    ]);
  });

  it('reports duplicate keys at the second one, with the first line', () => {
    const { problems, tree } = read('a:\n  b: 1\n  c: 2\n  b: 3\n');
    expect(problems).toEqual([{ line: 4, message: 'duplicate b (first on 2)' }]);
    expect(tree?.value).toEqual({ a: { b: 1, c: 2 } });
  });

  it('keeps __proto__ a plain key', () => {
    const { tree } = read('__proto__: { polluted: true }\nconstructor: 1\n');
    const value = tree?.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('points a path at the key line, or its nearest existing parent', () => {
    const { tree } = read('syncs:\n  s:\n    model: m\n    list:\n      - a\n      - b\n');
    expect(tree?.lineOf(['syncs', 's'])).toBe(2);
    expect(tree?.lineOf(['syncs', 's', 'model'])).toBe(3);
    expect(tree?.lineOf(['syncs', 's', 'list', 1])).toBe(6);
    expect(tree?.lineOf(['syncs', 's', 'missing', 'deeper'])).toBe(2);
  });

  it('interpolates values, not keys, and remembers which values came from the environment', () => {
    const { tree, problems } = read('${K}: "a-${V}-b"\nplain: x\nescaped: "$${V}"\n', { V: 'v', K: 'k' });
    expect(problems).toEqual([]);
    expect(tree?.value).toEqual({ '${K}': 'a-v-b', plain: 'x', escaped: '${V}' });
    expect(tree?.fromEnv(['${K}'])).toBe(true);
    expect(tree?.fromEnv([])).toBe(true);
    expect(tree?.fromEnv(['plain'])).toBe(false);
    expect(tree?.fromEnv(['escaped'])).toBe(false);
  });

  it('reports each unset variable with its line', () => {
    const { problems } = read('a: x\nb: "${ONE}/${TWO}"\nc: [ "${ONE}" ]\n', {});
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'environment variable ONE is not set'],
      [2, 'environment variable TWO is not set'],
      [3, 'environment variable ONE is not set'],
    ]);
  });

  it('refuses values nested too deeply and tags it cannot read', () => {
    expect(read(`a: ${'['.repeat(80)}${']'.repeat(80)}\n`).problems[0]?.message).toMatch(
      /nested more than 64 levels/,
    );
    const { problems } = read('a: !custom 1\nb: !!binary aGVsbG8=\n');
    expect(problems.map((p) => p.line)).toEqual([1, 2]);
  });
});
