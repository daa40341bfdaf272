import { Liquid } from 'liquidjs';
import { SluiceError } from '../core/errors.js';
import type { Row } from '../core/values.js';
import { templateFilters } from './template-filters.js';

/** A Liquid template parsed once, rendered synchronously per row with the row's columns as variables. */
export interface CompiledTemplate {
  readonly source: string;
  /** Top-level variables the template reads from the row (its columns), in first-use order. */
  readonly variables: readonly string[];
  /** Renders the template; throws liquidjs' error (undefined variable, filter failure) on bad input. */
  render(row: Row): string;
}

let sharedEngine: Liquid | undefined;

/**
 * The one engine every mapping shares: filters are stateless, and building it once keeps compilation
 * cheap. Options, and why:
 * - strictVariables / strictFilters: a typo in a column or filter name is an error, never silent "";
 * - ownPropertyOnly: `{{ email.constructor }}` must not reach into prototypes;
 * - timezoneOffset 0: the `date` filter gives the same text on every machine (UTC, like our timestamps);
 * - templates {}: `include`/`render`/`layout` find nothing, so a template cannot read local files.
 */
export function templateEngine(): Liquid {
  if (sharedEngine === undefined) {
    const engine = new Liquid({
      strictVariables: true,
      strictFilters: true,
      ownPropertyOnly: true,
      timezoneOffset: 0,
      templates: {},
    });
    for (const [name, filter] of Object.entries(templateFilters)) engine.registerFilter(name, filter);
    sharedEngine = engine;
  }
  return sharedEngine;
}

/**
 * Parses a template once. Templates that are only text and `{{ column }}` outputs (the common
 * `{{ first_name }} {{ last_name }}`) skip liquidjs at render time and concatenate directly, with
 * liquidjs' own output rules (null → "", arrays joined, others `String()`); any row those rules do
 * not cover (a column the row lacks, a value that will not convert) renders through liquidjs, so
 * output and errors are liquidjs' own. A property test renders both ways to keep them equal.
 * Everything else renders through liquidjs.
 * @throws SluiceError('config_invalid') when the template does not parse (including unknown filters).
 */
export function compileTemplate(source: string): CompiledTemplate {
  const engine = templateEngine();
  let parsed: ReturnType<Liquid['parse']>;
  let variables: string[];
  try {
    parsed = engine.parse(source);
    variables = [
      ...new Set(engine.globalVariableSegmentsSync(parsed).map((segments) => String(segments[0]))),
    ];
  } catch (error) {
    throw new SluiceError('config_invalid', `template does not parse: ${errorText(error)}`, { cause: error });
  }
  const viaLiquid = (row: Row): string => String(engine.renderSync(parsed, row));
  return { source, variables, render: plainRenderer(source, viaLiquid) ?? viaLiquid };
}

/** A liquidjs error's first line: "undefined variable: x, line:1, col:4" (the rest is a source excerpt). */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}

const OUTPUT = /\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}/g;
/** Names liquidjs reads as literals, not variables. */
const LITERALS = new Set(['nil', 'null', 'true', 'false', 'empty', 'blank']);

/**
 * A direct renderer for text + `{{ name }}` templates, or undefined when liquidjs is needed. Rows
 * it cannot render the way liquidjs would go to `viaLiquid`: a name the row does not own or holds
 * undefined (strictVariables fails it, except `size`, which liquidjs reads as a count), values
 * whose `String()` throws (liquidjs then throws its own error, with line and column), and arrays
 * nested too deeply for `liquidText`'s recursion (liquidjs may still render them).
 */
function plainRenderer(source: string, viaLiquid: (row: Row) => string): ((row: Row) => string) | undefined {
  const texts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of source.matchAll(OUTPUT)) {
    const name = match[1] as string;
    if (LITERALS.has(name)) return undefined;
    texts.push(source.slice(last, match.index));
    names.push(name);
    last = match.index + match[0].length;
  }
  texts.push(source.slice(last));
  if (texts.some((text) => text.includes('{{') || text.includes('{%'))) return undefined;
  return (row) => {
    let out = texts[0] as string;
    try {
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        const value = row[name];
        if (value === undefined || !Object.hasOwn(row, name)) return viaLiquid(row);
        out += liquidText(value) + (texts[i + 1] as string);
      }
    } catch {
      return viaLiquid(row);
    }
    return out;
  };
}

/** liquidjs' `stringify` for plain data (its Drop objects never occur in rows). */
function liquidText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(liquidText).join('');
  return String(value);
}
