import { Liquid } from 'liquidjs';
import { z } from 'zod';
import type { BundleConfig, Mapping, MappingSource } from '../core/workspace.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import { type PathSegment, parsePath } from '../mapping/compile-mapping.js';
import { suggest } from './did-you-mean.js';
import { text } from './field-schemas.js';
import { clip, isMapping, kindOf, type Problems, parseEntry, where } from './problems.js';
import type { Path } from './yaml-tree.js';

const NULLS = z.enum(['send', 'skip']);
const MAPPING_SHAPE = {
  column: text.optional(),
  constant: z.unknown(),
  template: text.optional(),
  json: z.boolean().optional(),
  nulls: NULLS.optional(),
};
const SOURCES = ['column', 'constant', 'template'] as const;
const PATH_EXAMPLES = 'write e.g. traits.address.city, traits.tags[0] or traits["first name"]';
const BUNDLE_SHAPE = { into: text, include: z.array(text).optional(), exclude: z.array(text).optional() };

// Only used to find syntax errors now rather than on the first row; rendering lives in src/mapping.
const liquid = new Liquid();

/**
 * Reads a destination path with the mapping language's own parser (src/mapping: one grammar for
 * the loader and the run), as segments or as the problem and fix it reports.
 */
function splitPath(path: string): PathSegment[] | { problem: string; fix?: string } {
  try {
    return parsePath(path);
  } catch (error) {
    // Its messages read `path "…" has … — how to fix`; the path is named by the caller already.
    const text = (error as Error).message.replace(/^path "(?:[^"\\]|\\.)*" /, '');
    const dash = text.lastIndexOf(' — ');
    return dash < 0 ? { problem: text } : { problem: text.slice(0, dash), fix: text.slice(dash + 3) };
  }
}

/** What the object a sync writes allows, when its destination type is known. */
export interface MappingTarget {
  object: string;
  descriptor: ObjectDescriptor;
  /** The sync key's field, which the key column fills: mapping it again is a conflict. */
  keyField?: string;
}

/** Validates `mappings:` (destination path ← source) of one sync; problems go to `p`. */
export function parseMappings(
  p: Problems,
  at: Path,
  raw: unknown,
  target: MappingTarget | undefined,
): Mapping[] {
  if (raw === undefined || raw === null) return [];
  if (!isMapping(raw)) {
    p.add(
      at,
      `${where(at)} must be a mapping of destination path → column`,
      'write it as { traits.email: email }',
    );
    return [];
  }
  const mappings: Mapping[] = [];
  // The same path written twice as one YAML key is reported by yaml-tree; this catches two
  // spellings of one path, such as traits.email and traits["email"].
  const seen = new Map<string, string>();
  for (const [path, value] of Object.entries(raw)) {
    const here = [...at, path];
    const segments = splitPath(path);
    if (!Array.isArray(segments)) {
      p.add(here, `mapping ${JSON.stringify(clip(path))} ${segments.problem}`, segments.fix ?? PATH_EXAMPLES);
      continue;
    }
    checkTarget(p, here, segments, target);
    const canonical = JSON.stringify(segments);
    const other = seen.get(canonical);
    if (other !== undefined) {
      p.add(here, `two mappings to the same path: "${clip(other)}" and "${clip(path)}"`, 'keep one of them');
    }
    seen.set(canonical, path);
    if (target?.keyField !== undefined && canonical === JSON.stringify([target.keyField])) {
      p.add(
        here,
        `${where(here)} sets ${target.keyField}, which the sync key already fills (key.field)`,
        'remove this mapping: the key column is sent as the key field',
      );
    }
    const parsed = parseSource(p, here, value);
    checkReserved(p, here, segments, target, parsed?.source);
    if (parsed !== undefined) mappings.push({ path, ...parsed, line: p.lineOf(here) });
  }
  return mappings;
}

function parseSource(p: Problems, at: Path, raw: unknown): Pick<Mapping, 'source' | 'nulls'> | undefined {
  if (typeof raw === 'string') {
    if (raw === '') {
      p.add(at, `${where(at)} is empty`, 'write the column name');
      return undefined;
    }
    return { source: { kind: 'column', column: raw } };
  }
  if (!isMapping(raw)) {
    p.add(
      at,
      `${where(at)} must be a column name or { column }, { constant } or { template }, not ${kindOf(raw)}`,
      'quote a constant as { constant: … }',
    );
    return undefined;
  }
  const before = p.size;
  const v = parseEntry(p, at, MAPPING_SHAPE, raw);
  const present = SOURCES.filter((key) => Object.hasOwn(raw, key));
  if (present.length === 0) {
    p.add(at, `${where(at)} has no column, constant or template`, 'add one of them');
  } else if (present.length > 1) {
    p.add(
      [...at, present[1]!],
      `${where(at)} has both ${present[0]} and ${present[1]}`,
      'keep exactly one of column, constant, template',
    );
  }
  if (v?.json !== undefined && !present.includes('template')) {
    p.add([...at, 'json'], `json of ${where(at)} only applies to a template`, 'remove json');
  }
  if (v?.template !== undefined) {
    try {
      liquid.parse(v.template);
    } catch (error) {
      // liquidjs quotes the template back, and text from the environment may be a secret.
      const reason = p.fromEnv([...at, 'template'])
        ? 'a Liquid syntax error (not shown: the template holds text from the environment)'
        : ((error as Error).message.split('\n')[0] ?? '').replace(/, line:\d+, col:\d+$/, '');
      p.add(
        [...at, 'template'],
        `template of ${where(at)} does not parse: ${reason}`,
        'fix the Liquid syntax',
      );
    }
  }
  if (p.size > before || v === undefined) return undefined;
  let source: MappingSource;
  if (v.column !== undefined) source = { kind: 'column', column: v.column };
  else if (v.template !== undefined)
    source = { kind: 'template', template: v.template, json: v.json ?? false };
  else source = { kind: 'constant', value: v.constant };
  return { source, ...(v.nulls === undefined ? {} : { nulls: v.nulls }) };
}

/** Reports a path whose first key is not a field of the object the sync writes. */
function checkTarget(p: Problems, at: Path, segments: PathSegment[], target: MappingTarget | undefined) {
  const first = segments[0];
  if (target === undefined || typeof first !== 'string' || target.descriptor.fields.includes(first)) return;
  p.add(
    at,
    `${where(at)} writes "${first}", which ${target.object} messages do not have`,
    suggest(first, target.descriptor.fields, 'remove it'),
  );
}

/**
 * Reports a mapping that writes a path the destination sets itself (ObjectDescriptor.reservedPaths,
 * e.g. Segment's `context.library`): the path itself or one under it, or an object constant mapped
 * above it that holds it. A whole object from a column or a JSON template can only be known per row;
 * the destination documents what happens then (src/mapping/README.md).
 */
function checkReserved(
  p: Problems,
  at: Path,
  segments: readonly PathSegment[],
  target: MappingTarget | undefined,
  source: MappingSource | undefined,
): void {
  for (const reserved of target?.descriptor.reservedPaths ?? []) {
    const written = startsWith(segments, reserved.path)
      ? true
      : startsWith(reserved.path, segments) &&
        source?.kind === 'constant' &&
        holdsPath(source.value, reserved.path.slice(segments.length));
    if (!written) continue;
    const name = reserved.path.join('.');
    p.add(
      at,
      `${where(at)} writes ${name}, which Sluice sets itself: ${reserved.why}`,
      `remove it, or map the value to another field (e.g. ${reserved.path[0]}.source_${reserved.path.at(-1)})`,
    );
  }
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/** Whether a constant (a YAML value) holds a value at `path` below it. */
function holdsPath(value: unknown, path: readonly string[]): boolean {
  let here = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return false;
    here = (here as Record<string, unknown>)[key];
  }
  return true;
}

/** Validates `bundle: { into, include?, exclude? }`. */
export function parseBundle(
  p: Problems,
  at: Path,
  raw: unknown,
  target: MappingTarget | undefined,
): BundleConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const before = p.size;
  const v = parseEntry(p, at, BUNDLE_SHAPE, raw);
  if (v?.into !== undefined) {
    const segments = splitPath(v.into);
    if (!Array.isArray(segments))
      p.add([...at, 'into'], `${where([...at, 'into'])} ${segments.problem}`, segments.fix ?? PATH_EXAMPLES);
    else {
      checkTarget(p, [...at, 'into'], segments, target);
      checkReserved(p, [...at, 'into'], segments, target, undefined);
      // `include: [library]` into `context` bundles a column named after the reserved field.
      for (const [i, column] of (v.include ?? []).entries()) {
        checkReserved(p, [...at, 'include', i], [...segments, column], target, undefined);
      }
    }
  }
  if (v?.include !== undefined && v.exclude !== undefined) {
    p.add(
      [...at, 'exclude'],
      `${where(at)} has both include and exclude`,
      'keep one: include lists the columns to bundle, exclude those to leave out',
    );
  }
  if (p.size > before || v?.into === undefined) return undefined;
  return {
    into: v.into,
    ...(v.include === undefined ? {} : { include: v.include }),
    ...(v.exclude === undefined ? {} : { exclude: v.exclude }),
  };
}
