import type { ConfigProblem } from '../core/errors.js';
import type { MappingSpec } from './compile-mapping.js';
import { type CompiledSource, compileSource, keySource } from './compile-source.js';
import { formatPath, type PathSegment, parsePath } from './parse-path.js';

/** One destination path in the tree of everything a sync's mappings write. */
export interface PlanNode {
  segment: PathSegment;
  path: PathSegment[];
  /** Canonical path text, for messages. */
  text: string;
  /** The mapping (or the key) that fills this path, if one does. */
  source?: CompiledSource;
  /** Its sluice.yaml line (the sync's line for the key); 0 when none. */
  line: number;
  nulls: 'send' | 'skip';
  /** Whether the bundle goes here. */
  bundle: boolean;
  /** Mapped paths under this one: field names in mapping order, or indices ascending. */
  children: PlanNode[];
}

/** A column the mapping reads, and who reads it, for `checkColumns`. */
export interface ColumnUse {
  column: string;
  line: number;
  /** "the sync key", `mapping "traits.email"`, `the bundle's include list`. */
  who: string;
  /** How: a column source or the key, a template's variable, or the bundle's include list. */
  via: 'column' | 'template' | 'include';
}

export interface MappingPlan {
  root: PlanNode;
  problems: ConfigProblem[];
  uses: ColumnUse[];
}

/**
 * Builds the path tree from the key, the mappings and the bundle, collecting every problem that can be
 * seen before a row exists: bad paths and templates, a path mapped twice, and a path under one that can
 * never be an object (a text template, a scalar constant, an id, the key). Shapes known only per row
 * (a column that may or may not hold an object) are checked by the evaluator.
 */
export function planMapping(spec: MappingSpec): MappingPlan {
  const file = spec.file ?? 'sluice.yaml';
  const syncLine = spec.line ?? 0;
  const problems: ConfigProblem[] = [];
  const uses: ColumnUse[] = [];
  const root = newNode('', [], 0, spec.nulls);
  const problem = (line: number, message: string, fix?: string): void => {
    problems.push(fix === undefined ? { file, line, message } : { file, line, message, fix });
  };

  const keyLine = spec.keyLine || syncLine;
  const bundleLine = spec.bundleLine || syncLine;
  uses.push({ column: spec.key.column, line: keyLine, who: 'the sync key', via: 'column' });
  if (spec.key.field !== undefined) {
    const path = tryParse(spec.key.field, keyLine, 'the key field', problem);
    if (path) {
      const node = nodeAt(root, path, spec.nulls);
      node.source = keySource(spec.key.column);
      node.line = keyLine;
    }
  }

  for (const mapping of spec.mappings) {
    const path = tryParse(mapping.path, mapping.line, undefined, problem);
    if (!path) continue;
    const text = formatPath(path);
    const where = `mapping "${text}" (line ${mapping.line})`;
    let source: CompiledSource;
    try {
      source = compileSource(mapping.source, where);
    } catch (error) {
      problem(mapping.line, `mapping "${text}": ${(error as Error).message}`);
      continue;
    }
    const node = nodeAt(root, path, mapping.nulls ?? spec.nulls);
    if (node.source?.kind === 'key') {
      problem(
        mapping.line,
        `"${text}" is the sync key's field (key.field), so it cannot also be mapped`,
        'remove this mapping',
      );
      continue;
    }
    if (node.source !== undefined) {
      problem(
        mapping.line,
        `"${text}" is mapped twice (also at line ${node.line})`,
        'remove one of the two mappings',
      );
      continue;
    }
    node.source = source;
    node.line = mapping.line;
    node.nulls = isTopLevelTimestamp(path) ? 'send' : (mapping.nulls ?? spec.nulls);
    const who = `mapping "${text}"`;
    for (const column of source.columns) {
      uses.push({ column, line: mapping.line, who, via: source.kind === 'template' ? 'template' : 'column' });
    }
  }

  if (spec.bundle !== undefined) {
    const path = tryParse(spec.bundle.into, syncLine, 'the bundle\'s "into"', problem);
    if (path?.some((segment) => typeof segment === 'number')) {
      problem(
        syncLine,
        `the bundle's "into" path "${spec.bundle.into}" has an array index`,
        'bundle into an object path like traits',
      );
    } else if (path) {
      nodeAt(root, path, spec.nulls).bundle = true;
    }
    for (const column of spec.bundle.include ?? []) {
      uses.push({ column, line: bundleLine, who: "the bundle's include list", via: 'include' });
    }
  }

  checkShapes(root, spec, problem);
  return { root, problems, uses };
}

type Report = (line: number, message: string, fix?: string) => void;

function tryParse(
  path: string,
  line: number,
  what: string | undefined,
  problem: Report,
): PathSegment[] | undefined {
  try {
    return parsePath(path);
  } catch (error) {
    problem(line, what === undefined ? (error as Error).message : `${what}: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * The message's own `timestamp` is placed even when null, whatever the nulls policy: SPEC §3 makes a
 * mapped event timestamp that is null `invalid_timestamp`, and leaving it out under `nulls: skip`
 * would instead stamp the event with the time it is sent, silently. On users and groups a null
 * timestamp counts as unmapped either way (destinations/segment/segment-message-codec.ts), so the
 * message, and its hash, are the same as with it left out.
 */
function isTopLevelTimestamp(path: readonly PathSegment[]): boolean {
  return path.length === 1 && path[0] === 'timestamp';
}

function newNode(segment: PathSegment, path: PathSegment[], line: number, nulls: 'send' | 'skip'): PlanNode {
  return { segment, path, text: formatPath(path), line, nulls, bundle: false, children: [] };
}

function nodeAt(root: PlanNode, path: readonly PathSegment[], nulls: 'send' | 'skip'): PlanNode {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as PathSegment;
    let child = node.children.find((c) => c.segment === segment);
    if (child === undefined) {
      child = newNode(segment, path.slice(0, i + 1), 0, nulls);
      node.children.push(child);
    }
    node = child;
  }
  return node;
}

/** Checks every node that has something under it can be a container, and sorts index children. */
function checkShapes(node: PlanNode, spec: MappingSpec, problem: Report): void {
  for (const child of node.children) checkShapes(child, spec, problem);
  const indices = node.children.filter((c) => typeof c.segment === 'number');
  if (indices.length > 0) node.children.sort((a, b) => (a.segment as number) - (b.segment as number));
  if (node.children.length === 0 && !node.bundle) {
    checkWholeObjectField(node, spec, problem);
    return;
  }
  if (node.path.length === 0) return;
  const under = firstMapped(node);
  const underText = under ? `"${under.text}"${under.line > 0 ? ` (line ${under.line})` : ''}` : 'the bundle';
  const line = under?.line || node.line;
  const wantArray = indices.length > 0;
  if (wantArray && (indices.length < node.children.length || node.bundle)) {
    problem(
      line,
      `"${node.text}" is used both as an array (indices) and as an object (field names or the bundle)`,
    );
    return;
  }
  const top = node.path.length === 1 ? String(node.segment) : undefined;
  if (top !== undefined && spec.idFields.includes(top)) {
    problem(line, `"${top}" is an id (sent as a string), but ${underText} puts a field under it`);
    return;
  }
  if (wantArray && top !== undefined && spec.objectFields.includes(top)) {
    problem(line, `"${top}" must be an object, but ${underText} uses it as an array`);
    return;
  }
  const shape = node.source?.shape;
  if (shape === undefined || shape === 'any' || shape === (wantArray ? 'array' : 'object')) return;
  const kind = node.source?.kind;
  const what =
    kind === 'template'
      ? 'a text template (set json: true for JSON output)'
      : kind === 'key'
        ? 'the sync key'
        : `${shape === 'scalar' ? 'a scalar' : `an ${shape}`} constant`;
  const fix = `map "${node.text}" to an ${wantArray ? 'array' : 'object'}, or remove ${underText}`;
  problem(
    line,
    `"${node.text}"${node.line > 0 ? ` (line ${node.line})` : ''} is mapped to ${what}, but ${underText} puts a value under it`,
    fix,
  );
}

/** `traits: { constant: "x" }` can never be an object: say so now rather than on every row. */
function checkWholeObjectField(node: PlanNode, spec: MappingSpec, problem: Report): void {
  if (node.path.length !== 1 || !spec.objectFields.includes(String(node.segment))) return;
  const shape = node.source?.shape;
  if (shape === 'scalar' && node.source?.kind === 'constant') {
    problem(node.line, `"${node.text}" must be an object, but it is mapped to a scalar constant`);
  } else if (shape === 'array') {
    problem(node.line, `"${node.text}" must be an object, but it is mapped to an array constant`);
  }
}

function firstMapped(node: PlanNode): PlanNode | undefined {
  for (const child of node.children) {
    if (child.source !== undefined) return child;
    const deeper = firstMapped(child);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}
