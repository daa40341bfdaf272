import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkProperty, hostileValue, objectOf } from '../../test/helpers/hostile-values.js';
import { SluiceError } from '../core/errors.js';
import type { Row } from '../core/values.js';
import { compileTemplate, templateEngine } from './compile-template.js';

const row: Row = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: 'Ada@Example.com',
  plan: null,
  seats: 42,
  ratio: 1.5,
  active: true,
  tags: ['a', 'b'],
  props: { plan: 'pro', ssn: '123', seats: 3 },
  ordered_at: '2024-01-02T23:30:00.000Z',
  emoji: 'ünïcødé 🚀👩‍💻',
};

function render(source: string, data: Row = row): string {
  return compileTemplate(source).render(data);
}

describe('compileTemplate: rendering', () => {
  test.each<[string, string]>([
    ['{{ first_name }} {{ last_name }}', 'Ada Lovelace'],
    ['{{ first_name | upcase }}', 'ADA'],
    ['{{ email | downcase }}', 'ada@example.com'],
    ['{{ plan }}', ''],
    ['{{ plan | default: "free" }}', 'free'],
    ['{{ seats | plus: 1 }}', '43'],
    ['{{ tags | join: "," }}', 'a,b'],
    ['{{ props.plan }}', 'pro'],
    ['{% if active %}yes{% else %}no{% endif %}', 'yes'],
    ['{% for t in tags %}[{{ t }}]{% endfor %}', '[a][b]'],
    ['{% assign full = first_name | append: "!" %}{{ full }}', 'Ada!'],
    ['{{ ordered_at | date: "%Y-%m-%d %H:%M" }}', '2024-01-02 23:30'],
    ['{{ emoji }}', 'ünïcødé 🚀👩‍💻'],
    ['{{ emoji | upcase }} ✓', 'ÜNÏCØDÉ 🚀👩‍💻 ✓'],
    ['{{ props | json }}', '{"plan":"pro","ssn":"123","seats":3}'],
    ['{{ tags | json }}', '["a","b"]'],
    ['{{ plan | json }}', 'null'],
    ['{{ emoji | json }}', '"ünïcødé 🚀👩‍💻"'],
    ["{{ props | except: 'ssn' | json }}", '{"plan":"pro","seats":3}'],
    ["{{ props | except: 'ssn', 'seats' | json }}", '{"plan":"pro"}'],
    ["{{ props | only: 'seats', 'plan' | json }}", '{"plan":"pro","seats":3}'],
    ["{{ props | only: 'nope' | json }}", '{}'],
    ['{{ props | keys | join: "," }}', 'plan,ssn,seats'],
    ['{{ plan | except: "x" | json }}', 'null'],
    ['{{ email | downcase | sha256 }}', createHash('sha256').update('ada@example.com').digest('hex')],
    ['{{ emoji | sha256 }}', createHash('sha256').update('ünïcødé 🚀👩‍💻', 'utf8').digest('hex')],
    ['{{ seats | sha256 }}', createHash('sha256').update('42').digest('hex')],
    ['{{ plan | sha256 }}', ''],
    ['{{ first_name | base64 }}', 'QWRh'],
    ['{{ emoji | base64 }}', Buffer.from('ünïcødé 🚀👩‍💻', 'utf8').toString('base64')],
  ])('%s', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  test('the same compiled template renders many rows', () => {
    const template = compileTemplate('{{ first_name }}-{{ seats }}');
    expect(template.render({ first_name: 'a', seats: 1 })).toBe('a-1');
    expect(template.render({ first_name: 'b', seats: 2 })).toBe('b-2');
  });

  test('rendering never changes the row, even when the template assigns', () => {
    const data: Row = { first_name: 'Ada', tags: ['x'] };
    const before = structuredClone(data);
    render('{% assign first_name = "Bob" %}{% assign extra = 1 %}{{ first_name }}', data);
    expect(data).toEqual(before);
  });
});

describe('compileTemplate: variables', () => {
  test('lists the columns a template reads, not its local names', () => {
    const template = compileTemplate(
      '{% assign x = first_name | upcase %}{{ x }} {{ props.plan }} {% for t in tags %}{{ t }}{{ forloop.index }}{% endfor %}{{ first_name }}',
    );
    expect(template.variables).toEqual(['first_name', 'props', 'tags']);
  });
});

describe('compileTemplate: errors', () => {
  test.each<[string, RegExp]>([
    ['{{ first_name | no_such_filter }}', /undefined filter: no_such_filter/],
    ['{{ first_name ', /not closed/],
    ['{% if active %}never closed', /not closed/],
    ['{% nosuchtag %}', /not found|undefined|tag/i],
  ])('%s does not parse', (source, message) => {
    let caught: unknown;
    try {
      compileTemplate(source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SluiceError);
    expect((caught as SluiceError).code).toBe('config_invalid');
    expect((caught as Error).message).toMatch(/^template does not parse: /);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });

  test.each<[string, RegExp]>([
    ['{{ missing_column }}', /undefined variable: missing_column/],
    ['{{ first_name }} {{ missing_column }}', /undefined variable: missing_column/],
    ['{{ props.nope }}', /undefined variable: props.nope/],
    ['{{ first_name | except: "x" }}', /filter "except" expects an object, got a string/],
    ['{{ tags | keys }}', /filter "keys" expects an object, got an array/],
    ['{{ props | sha256 }}', /filter "sha256" expects text, got an object/],
    ['{{ first_name.constructor }}', /undefined variable/],
  ])('%s fails at render time', (source, message) => {
    expect(() => render(source)).toThrow(message);
  });

  test('include, render and layout cannot read files', () => {
    for (const source of [
      '{% include "package.json" %}',
      '{% render "/etc/passwd" %}',
      '{% layout "package.json" %}x',
    ]) {
      expect(() => render(source)).toThrow(/Failed to lookup/);
    }
  });
});

describe('compileTemplate: the direct path for text and {{ column }} templates', () => {
  // These templates skip liquidjs at render time; each must give exactly what liquidjs gives.
  const sources = [
    '{{ first_name }} {{ last_name }}',
    '{{first_name}}',
    'plain text, no tags',
    '',
    '{{ plan }}|{{ seats }}|{{ ratio }}|{{ active }}|{{ tags }}|{{ props }}|{{ emoji }}',
    '{ not a tag } }} {{ first_name }}',
  ];
  const rows: Row[] = [
    row,
    {
      first_name: '',
      last_name: null,
      plan: 0,
      seats: -0,
      ratio: 1e21,
      active: false,
      tags: [],
      props: {},
      emoji: '',
    },
    {
      first_name: ['x', ['y', null]],
      last_name: { a: 1 },
      plan: 'p',
      seats: Number.MAX_SAFE_INTEGER + 2,
      ratio: 0.1,
      active: null,
      tags: [[1], 2],
      props: [],
      emoji: '🚀',
    },
  ];

  test.each(sources)('%j renders like liquidjs', (source) => {
    const engine = templateEngine();
    const parsed = engine.parse(source);
    for (const data of rows) {
      expect(compileTemplate(source).render(data)).toBe(engine.renderSync(parsed, data));
    }
  });

  test('a missing column fails like liquidjs does', () => {
    expect(() => render('{{ first_name }} {{ nope }}', { first_name: 'a' })).toThrow(
      /undefined variable: nope/,
    );
    expect(() => templateEngine().parseAndRenderSync('{{ nope }}', { first_name: 'a' })).toThrow(
      /undefined variable: nope/,
    );
  });

  test('literal names still go through liquidjs', () => {
    expect(render('{{ nil }}{{ true }}{{ empty }}', {})).toBe('true');
  });
});

describe('compileTemplate: the direct path against liquidjs, property-based', () => {
  // Column names: plain ones, Liquid's literals and special properties, and names that hit
  // Object.prototype (a row must own a column for it to be a variable).
  const NAMES = ['a', 'b_1', '_', 'nil', 'empty', 'size', 'first', 'constructor', 'toString', '__proto__'];
  const output = fc
    .tuple(
      // Liquid's literal names and `-` trim markers make a template go through liquidjs: rarely.
      fc.oneof(
        { arbitrary: fc.constantFrom(...NAMES.filter((n) => n !== 'nil' && n !== 'empty')), weight: 9 },
        { arbitrary: fc.constantFrom('nil', 'empty'), weight: 1 },
      ),
      fc.constantFrom('', ' ', '', ' ', '  ', '', ' ', '-'),
      fc.constantFrom('', ' ', '', ' ', '  ', '', ' ', '-'),
    )
    .map(([name, before, after]) => `{{${before}${name}${after}}}`);
  // Text: mostly plain (single braces included), sometimes made of Liquid's own syntax, so that tags
  // and braces border each other and some templates need liquidjs.
  const text = fc.oneof(
    {
      arbitrary: fc.string({ unit: fc.constantFrom('x', ' ', '\n', 'é', '🚀', '{', '}', '%', '-') }),
      weight: 4,
    },
    {
      arbitrary: fc
        .array(fc.constantFrom('{', '}', '%', '-', ' ', '{{', '}}', '{%', '%}'), { maxLength: 4 })
        .map((parts) => parts.join('')),
      weight: 1,
    },
  );
  const source = fc
    .array(fc.oneof({ arbitrary: output, weight: 2 }, { arbitrary: text, weight: 1 }), { maxLength: 6 })
    .map((parts) => parts.join(''));
  // Every value kind a cell can hold, plus undefined (which no source yields, but the direct path
  // must still treat like liquidjs: an undefined variable); now and then a column is missing.
  const MISSING = Symbol('missing');
  const cell = fc.oneof(
    { arbitrary: hostileValue, weight: 8 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constant(MISSING), weight: 1 },
  );
  const rowOf = fc
    .tuple(...NAMES.map(() => cell))
    .map(
      (cells) =>
        objectOf(
          NAMES.flatMap((name, i) => (cells[i] === MISSING ? [] : [[name, cells[i]] as const])),
        ) as Row,
    );

  test('renders exactly what liquidjs renders, or fails where liquidjs fails', () => {
    const engine = templateEngine();
    checkProperty(
      fc.property(source, rowOf, (text, data) => {
        let parsed: ReturnType<typeof engine.parse>;
        try {
          parsed = engine.parse(text);
        } catch {
          // Not a template: compileTemplate refuses it too (a config error), nothing renders it.
          expect(() => compileTemplate(text)).toThrow(SluiceError);
          return;
        }
        const ours = attempt(() => compileTemplate(text).render(data));
        const theirs = attempt(() => engine.renderSync(parsed, data) as string);
        expect(ours).toEqual(theirs);
      }),
      2_000,
    );
  });
});

function attempt(render: () => string): { ok: true; value: string } | { ok: false; error: string } {
  try {
    return { ok: true, value: render() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
