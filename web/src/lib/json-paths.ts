/**
 * Paths into a JSON message, written as the engine writes `changed_fields` (src/mapping/parse-path.ts
 * `formatPath`): `traits.email`, `traits.tags[0]`, `traits["odd name"]`. The UI marks a dry run's
 * changed fields in a message and diffs one key's messages with them.
 */

const BARE_NAME = /^[^.[\]"'\s]+$/u;

/** `prefix` extended by one segment, as the engine's `appendSegment` writes it. */
export function appendSegment(prefix: string, segment: string | number): string {
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  if (segment.length > 0 && BARE_NAME.test(segment))
    return prefix.length === 0 ? segment : `${prefix}.${segment}`;
  return `${prefix}[${JSON.stringify(segment)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message's leaves, path → value; an empty object or array is itself a leaf. */
export function leafPaths(value: unknown): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  const walk = (node: unknown, prefix: string): void => {
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((item, i) => [i, item])
      : isRecord(node)
        ? Object.entries(node).filter(([, v]) => v !== undefined)
        : [];
    if (entries.length === 0 && (Array.isArray(node) || isRecord(node)) && prefix === '') return;
    if (entries.length === 0) {
      leaves.set(prefix, node);
      return;
    }
    for (const [segment, child] of entries) walk(child, appendSegment(prefix, segment));
  };
  if (value !== undefined) walk(value, '');
  return leaves;
}

/** Whether `path` is `changed` or lies inside it (`traits.tags[0]` inside `traits.tags`). */
export function isWithin(path: string, changed: string): boolean {
  return path === changed || path.startsWith(`${changed}.`) || path.startsWith(`${changed}[`);
}

export interface FieldChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/**
 * What differs from `older` to `newer`, leaf by leaf, sorted by path. Paths in `ignore` (and inside
 * them) are left out: fields such as `messageId` differ on every message and say nothing.
 */
export function diffMessages(older: unknown, newer: unknown, ignore: readonly string[] = []): FieldChange[] {
  const before = leafPaths(older);
  const after = leafPaths(newer);
  const changes: FieldChange[] = [];
  for (const [path, value] of after) {
    if (!before.has(path)) changes.push({ path, kind: 'added', after: value });
    else if (JSON.stringify(before.get(path)) !== JSON.stringify(value))
      changes.push({ path, kind: 'changed', before: before.get(path), after: value });
  }
  for (const [path, value] of before)
    if (!after.has(path)) changes.push({ path, kind: 'removed', before: value });
  return changes
    .filter((change) => !ignore.some((ignored) => isWithin(change.path, ignored)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** One line of a message printed as indented JSON; a line holding a leaf carries its path. */
export interface JsonLine {
  text: string;
  path: string | null;
}

/** `JSON.stringify(value, null, 2)`, line by line, each leaf's line knowing its path. */
export function jsonLines(value: unknown): JsonLine[] {
  const lines: JsonLine[] = [];
  const walk = (node: unknown, prefix: string, indent: string, label: string, comma: string): void => {
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((item, i) => [i, item])
      : isRecord(node)
        ? Object.entries(node).filter(([, v]) => v !== undefined)
        : [];
    const container = Array.isArray(node) || isRecord(node);
    if (!container || entries.length === 0) {
      const text = container ? (Array.isArray(node) ? '[]' : '{}') : JSON.stringify(node);
      lines.push({ text: `${indent}${label}${text}${comma}`, path: prefix });
      return;
    }
    const [open, close] = Array.isArray(node) ? ['[', ']'] : ['{', '}'];
    lines.push({ text: `${indent}${label}${open}`, path: null });
    entries.forEach(([segment, child], i) => {
      const childLabel = typeof segment === 'number' ? '' : `${JSON.stringify(segment)}: `;
      const childComma = i < entries.length - 1 ? ',' : '';
      walk(child, appendSegment(prefix, segment), `${indent}  `, childLabel, childComma);
    });
    lines.push({ text: `${indent}${close}${comma}`, path: null });
  };
  walk(value, '', '', '', '');
  return lines;
}
