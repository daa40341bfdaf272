import type { Row } from '../core/values.js';
import type { BundleConfig } from '../core/workspace.js';
import { type ContainerKind, toContainer, toIdValue } from './coerce-value.js';
import type { PlanNode } from './mapping-plan.js';
import { recordFactory } from './record-factory.js';
import { isRecord, putField, putIndex } from './set-path.js';

/** Returned by a node that contributes nothing for this row (a skipped null, an empty object). */
export const SKIP: unique symbol = Symbol('skip');

/** Computes one path's value for a row from what lower layers put there (`inherited`). Throws RowFailure. */
type Evaluate = (row: Row, inherited: unknown) => unknown;

export interface EvaluatorOptions {
  idFields: readonly string[];
  objectFields: readonly string[];
  bundle?: BundleConfig;
  /** Columns the bundle leaves out because the key or a mapping reads them. */
  usedColumns: ReadonlySet<string>;
  nulls: 'send' | 'skip';
}

/**
 * Turns the plan into one closure per path, built once, so mapping a row is a walk over prebuilt
 * functions: no path parsing, no lookups by name, a fresh object only where a mapped path needs one.
 * Layers at one path, lowest first: what a shorter path put there, the bundle, a whole-object
 * mapping; then the longer (more specific) paths under it overwrite their own fields.
 */
export function buildEvaluator(
  root: PlanNode,
  options: EvaluatorOptions,
): (row: Row) => Record<string, unknown> {
  const evaluate = objectContainer(root, options);
  return (row) => {
    const payload = evaluate(row, undefined);
    return payload === SKIP ? {} : (payload as Record<string, unknown>);
  };
}

function build(node: PlanNode, options: EvaluatorOptions): Evaluate {
  if (node.children.length > 0 || node.bundle) {
    return typeof node.children[0]?.segment === 'number'
      ? arrayContainer(node, options)
      : objectContainer(node, options);
  }
  return leaf(node, options);
}

function leaf(node: PlanNode, options: EvaluatorOptions): Evaluate {
  const source = node.source;
  // A plan leaf always has a source: nodes exist only for mapped paths, the key and the bundle.
  if (source === undefined) return () => SKIP;
  const read = source.read;
  const top = node.path.length === 1 ? String(node.segment) : undefined;
  const isId = top !== undefined && options.idFields.includes(top);
  if (source.kind === 'key') return isId ? (row) => toIdValue(read(row)) : (row) => read(row);
  if (top !== undefined && options.objectFields.includes(top)) {
    // A whole object field: JSON text is parsed, null means "not set" (null is never a valid object).
    const where = describe(node);
    return (row) => toContainer(read(row), 'object', where) ?? SKIP;
  }
  const skipNull = node.nulls === 'skip';
  return (row) => {
    const value = read(row);
    if (value === null) return skipNull ? SKIP : null;
    return isId ? toIdValue(value) : value;
  };
}

function objectContainer(node: PlanNode, options: EvaluatorOptions): Evaluate {
  const keys = node.children.map((child) => String(child.segment));
  const children = node.children.map((child) => build(child, options));
  const own = ownValue(node, 'object');
  const bundle =
    node.bundle && options.bundle ? bundler(options.bundle, options.usedColumns, options.nulls) : undefined;
  const fresh = bundle === undefined && own === undefined ? freshObject(keys, children) : undefined;
  const general: Evaluate = (row, inherited) => {
    if (fresh !== undefined && !isRecord(inherited)) return fresh(row);
    let result: Record<string, unknown> | undefined = isRecord(inherited) ? { ...inherited } : undefined;
    if (bundle !== undefined) {
      const bundled = bundle(row);
      result = result === undefined ? bundled : { ...result, ...bundled };
    }
    if (own !== undefined) {
      const value = own(row) as Record<string, unknown> | undefined;
      if (value !== undefined) result = result === undefined ? { ...value } : { ...result, ...value };
    }
    const based = result !== undefined;
    const out = result ?? {};
    let wrote = false;
    for (let i = 0; i < children.length; i++) {
      const key = keys[i] as string;
      // A name `out` lacks may still hit Object.prototype (`constructor`): a function, which neither
      // containers (they take only records) nor leaves (they ignore it) use, so no hasOwn check is needed.
      const value = (children[i] as Evaluate)(row, out[key]);
      if (value !== SKIP) {
        putField(out, key, value);
        wrote = true;
      }
    }
    return based || wrote ? out : SKIP;
  };
  if (fresh === undefined || node.path.length === 0 || !isConstant(node)) return general;
  // Only constants under it (`context.source: { constant: warehouse }`): the same object for every
  // row, built once and frozen like the constants in it. Shared objects are part of the payload's
  // contract (read-only), and the codec can then reuse its JSON text. The root is always built.
  const value = fresh(CONSTANTS_ONLY);
  const shared = value === SKIP ? SKIP : Object.freeze(value);
  return (row, inherited) => (isRecord(inherited) ? general(row, inherited) : shared);
}

/** The row given to nodes that read none: only constants under them. */
const CONSTANTS_ONLY: Row = Object.freeze({});

/** Whether a node's value is the same for every row: object fields of constants, nothing else. */
function isConstant(node: PlanNode): boolean {
  if (node.bundle) return false;
  if (node.children.length === 0) return node.source?.kind === 'constant';
  return (
    node.source === undefined &&
    typeof node.children[0]?.segment === 'string' &&
    node.children.every(isConstant)
  );
}

/**
 * An object container with nothing beneath its children (no bundle, no whole-object mapping, nothing
 * inherited): the common case, e.g. `traits` built from column mappings. Same result as the general
 * path in `objectContainer`, whose `out` then starts empty: each child sees no inherited value (the
 * keys are distinct, and never `__proto__`, so `out[key]` could only be undefined or an
 * Object.prototype method, which every node ignores), and the fields come in the children's order.
 * When every child gives a value, the object is built by one literal (see record-factory.ts).
 */
function freshObject(keys: readonly string[], children: readonly Evaluate[]): (row: Row) => unknown {
  const make = keys.length > 0 ? recordFactory(keys) : undefined;
  // Reused for every row: filled completely before it is read, and map() is never re-entered.
  const values: unknown[] = keys.map(() => undefined);
  return (row) => {
    let complete = true;
    for (let i = 0; i < children.length; i++) {
      const value = (children[i] as Evaluate)(row, undefined);
      if (value === SKIP) complete = false;
      values[i] = value;
    }
    if (complete && make !== undefined) return make(values);
    const out: Record<string, unknown> = {};
    let wrote = false;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== SKIP) {
        putField(out, keys[i] as string, value);
        wrote = true;
      }
    }
    return wrote ? out : SKIP;
  };
}

function arrayContainer(node: PlanNode, options: EvaluatorOptions): Evaluate {
  const indices = node.children.map((child) => child.segment as number);
  const children = node.children.map((child) => build(child, options));
  const own = ownValue(node, 'array');
  return (row, inherited) => {
    let result: unknown[] | undefined = Array.isArray(inherited) ? inherited.slice() : undefined;
    if (own !== undefined) {
      // Arrays do not merge by index: a whole array replaces what a shorter path put there.
      const value = own(row) as unknown[] | undefined;
      if (value !== undefined) result = value.slice();
    }
    const based = result !== undefined;
    const out = result ?? [];
    let wrote = false;
    for (let i = 0; i < children.length; i++) {
      const index = indices[i] as number;
      const value = (children[i] as Evaluate)(row, out[index]);
      if (value !== SKIP) {
        putIndex(out, index, value);
        wrote = true;
      }
    }
    return based || wrote ? out : SKIP;
  };
}

/** The reader of a whole-object (or whole-array) mapping at a container path, checked per row. */
function ownValue(node: PlanNode, kind: ContainerKind): ((row: Row) => unknown) | undefined {
  const source = node.source;
  if (source === undefined) return undefined;
  const read = source.read;
  const where = describe(node);
  return (row) => toContainer(read(row), kind, where);
}

function describe(node: PlanNode): string {
  return node.line > 0 ? `mapping "${node.text}" (line ${node.line})` : `"${node.text}"`;
}

/**
 * Every column nobody else reads, filtered by include/exclude, as `{ column: value }` in the model's
 * column order. The sync's nulls policy applies to each column's value; nulls nested inside a
 * column's value (a JSON column) are data and are kept.
 */
function bundler(
  bundle: BundleConfig,
  used: ReadonlySet<string>,
  nulls: 'send' | 'skip',
): (row: Row) => Record<string, unknown> {
  const skip = new Set([...used, ...(bundle.exclude ?? [])]);
  const skipNull = nulls === 'skip';
  const include = bundle.include?.filter((column) => !skip.has(column));
  if (include !== undefined) {
    return (row) => {
      const out: Record<string, unknown> = {};
      for (const column of include) {
        const value = row[column];
        if (value === undefined || (value === null && skipNull)) continue;
        putField(out, column, value);
      }
      return out;
    };
  }
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const column in row) {
      if (skip.has(column)) continue;
      const value = row[column];
      if (value === undefined || (value === null && skipNull)) continue;
      putField(out, column, value);
    }
    return out;
  };
}
