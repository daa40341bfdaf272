import type { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import { suggest } from './did-you-mean.js';
import type { Path, YamlTree } from './yaml-tree.js';

/** Keys whose values may carry credentials: never echoed in a message, whatever their origin. */
const SECRET_KEY = /url|key|secret|password|token|dsn/i;

const SECTION_LABELS: Readonly<Record<string, string>> = {
  notify: 'notify target',
  sources: 'source',
  destinations: 'destination',
  models: 'model',
  syncs: 'sync',
};

/**
 * Collects every problem of one workspace file, each pinned to a line through the path of the value
 * it is about, so that `sluice check` can report them all at once (SPEC §1).
 */
export class Problems {
  readonly #file: string;
  readonly #tree: YamlTree;
  readonly #list: ConfigProblem[] = [];

  constructor(file: string, tree: YamlTree) {
    this.#file = file;
    this.#tree = tree;
  }

  /** Records a problem about the value at `path` (or, when it is absent, its nearest parent). */
  add(path: Path, message: string, fix?: string): void {
    this.#list.push({ file: this.#file, line: this.#tree.lineOf(path), message, ...(fix ? { fix } : {}) });
  }

  /** Records a problem already pinned to a line (from reading the YAML itself). */
  addAtLine(problem: { line: number; message: string; fix?: string }): void {
    this.#list.push({ file: this.#file, ...problem });
  }

  /** The workspace file as problems name it ("sluice.yaml"). */
  get file(): string {
    return this.#file;
  }

  lineOf(path: Path): number {
    return this.#tree.lineOf(path);
  }

  /** Whether the value at `path` holds text from the environment, which a message must never quote. */
  fromEnv(path: Path): boolean {
    return this.#tree.fromEnv(path);
  }

  get size(): number {
    return this.#list.length;
  }

  /**
   * Rewrites the fix of every problem recorded since `since` (a `size` taken before): how a parser
   * adds what it alone knows (e.g. every accepted form of a schedule) to problems its shared
   * helpers reported.
   */
  amendFixesSince(since: number, amend: (fix: string | undefined) => string): void {
    for (let i = since; i < this.#list.length; i++) {
      const problem = this.#list[i]!;
      this.#list[i] = { ...problem, fix: amend(problem.fix) };
    }
  }

  /** The problems in file order (stable for problems on the same line), at most MAX_REPORTED. */
  sorted(): ConfigProblem[] {
    const ordered = this.#list
      .map((p, i) => ({ p, i }))
      .sort((a, b) => a.p.line - b.p.line || a.i - b.i)
      .map(({ p }) => p);
    return capProblems(ordered);
  }

  /**
   * A user value for a message: quoted text from the file, or a neutral word when it came from the
   * environment or sits under a key that may hold credentials (it could be a password).
   */
  show(path: Path, value: unknown): string {
    const last = path.at(-1);
    if (this.#tree.fromEnv(path) || (typeof last === 'string' && SECRET_KEY.test(last))) return 'the value';
    if (typeof value === 'string') return JSON.stringify(clip(value));
    return kindOf(value);
  }
}

/** More problems than anyone reads: a hostile or mangled file is summed up after this many. */
export const MAX_REPORTED = 100;

/** The first MAX_REPORTED - 1 problems and a last one counting the rest. */
export function capProblems(problems: ConfigProblem[]): ConfigProblem[] {
  if (problems.length <= MAX_REPORTED) return problems;
  const kept = problems.slice(0, MAX_REPORTED - 1);
  return [
    ...kept,
    {
      file: kept[0]!.file,
      line: 0,
      message: `… and ${problems.length - kept.length} more problems`,
      fix: 'fix the ones above and check again',
    },
  ];
}

/** Human name of the thing at `path`: `object of sync "users"`, `source "app"`, `state`. */
export function where(path: Path): string {
  const [section, name, ...rest] = path;
  const label = typeof section === 'string' ? SECTION_LABELS[section] : undefined;
  if (label !== undefined && name !== undefined) {
    const entry = `${label} "${clip(String(name))}"`;
    return rest.length > 0 ? `${fieldName(rest)} of ${entry}` : entry;
  }
  return path.length > 0 ? fieldName(path) : 'the file';
}

function fieldName(path: Path): string {
  return path
    .map((s, i) =>
      typeof s === 'number'
        ? `[${s}]`
        : `${i > 0 ? '.' : ''}${/[.\s[\]]/.test(s) ? `"${clip(s)}"` : clip(s)}`,
    )
    .join('');
}

/** Keys and values are echoed at most this long: a hostile file must not turn into a huge report. */
export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** "a number", "a list", … for `must be X, not Y` messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'true/false';
  return `a ${typeof value}`;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The own value under `key`, so that a key named like an Object.prototype member is not "found". */
export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Reports every key of `raw` not in `allowed`, with a did-you-mean hint. */
export function checkKeys(
  p: Problems,
  path: Path,
  raw: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key)) continue;
    const place = path.length === 0 ? 'at the top level' : `in ${where(path)}`;
    p.add([...path, key], `unknown key "${clip(key)}" ${place}`, suggest(key, allowed, 'remove it'));
  }
}

/** Parses one value with a zod schema, reporting each issue at its own path; undefined on failure. */
export function parseField<S extends z.ZodType>(
  p: Problems,
  path: Path,
  schema: S,
  raw: unknown,
): z.output<S> | undefined {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const issuePath = [...path, ...issue.path.filter((s): s is string | number => typeof s !== 'symbol')];
    const input = valueAt(raw, issue.path);
    const [message, fix] = describeIssue(p, issuePath, issue, input);
    p.add(issuePath, message, fix);
  }
  return undefined;
}

/**
 * Parses a mapping with one zod schema per key: unknown keys are reported with a suggestion, and
 * every key is validated on its own so that one bad value does not hide the others' problems.
 * Returns undefined when `raw` is not a mapping; otherwise the values that parsed.
 */
export function parseEntry<S extends Record<string, z.ZodType>>(
  p: Problems,
  path: Path,
  shape: S,
  raw: unknown,
): { [K in keyof S]?: z.output<S[K]> } | undefined {
  const keys = Object.keys(shape);
  if (!isMapping(raw)) {
    p.add(path, `${where(path)} must be a mapping, not ${kindOf(raw)}`, `write it as { ${keys[0]}: … }`);
    return undefined;
  }
  checkKeys(p, path, raw, keys);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = parseField(p, [...path, key], shape[key] as z.ZodType, own(raw, key));
    if (value !== undefined) out[key] = value;
  }
  return out as { [K in keyof S]?: z.output<S[K]> };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || typeof segment === 'symbol') return undefined;
    value = Object.hasOwn(value, segment) ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  return value;
}

const EXPECTED: Readonly<Record<string, [string, string]>> = {
  string: ['text', 'quote the value'],
  number: ['a number', 'write a number such as 3'],
  int: ['a whole number', 'write a whole number such as 3'],
  boolean: ['true or false', 'write true or false'],
  array: ['a list', 'write a list such as [a, b]'],
  object: ['a mapping', 'write a mapping such as { key: value }'],
  record: ['a mapping', 'write a mapping such as { key: value }'],
};

function describeIssue(p: Problems, path: Path, issue: z.core.$ZodIssue, input: unknown): [string, string?] {
  const w = where(path);
  if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    return [`${w} is missing`, `add ${String(path.at(-1))}: to ${where(path.slice(0, -1))}`];
  }
  switch (issue.code) {
    case 'invalid_type': {
      const [expected, fix] = EXPECTED[issue.expected] ?? [issue.expected, undefined];
      return [`${w} must be ${expected}, not ${kindOf(input)}`, fix];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const fix = typeof input === 'string' ? suggest(input, values, '') : `use one of: ${values.join(', ')}`;
      return [`${w} is ${p.show(path, input)}; it must be one of: ${values.join(', ')}`, fix];
    }
    case 'too_small':
      if (issue.origin === 'string') return [`${w} is empty`, 'give it a value'];
      if (issue.origin === 'array')
        return [`${w} needs at least ${issue.minimum} item(s)`, 'add items or remove the key'];
      return [`${w} must be at least ${issue.minimum}`, `use ${issue.minimum} or more`];
    case 'too_big':
      return [`${w} must be at most ${issue.maximum}`, `use ${issue.maximum} or less`];
    case 'custom':
      return [`${w} ${issue.message}`, issue.params?.fix];
    default:
      return [`${w}: ${issue.message}`];
  }
}
