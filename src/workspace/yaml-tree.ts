import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { interpolate } from './interpolate.js';
import { lineNestedPast } from './nesting-depth.js';

/** A location in the parsed file: map keys and sequence indexes from the root. */
export type Path = readonly (string | number)[];

/** A problem found while reading the YAML itself, before any schema is applied. */
export interface TreeProblem {
  line: number;
  message: string;
  fix?: string;
}

/** Files larger than this are refused unread: a workspace file is a few kilobytes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Alias expansions allowed per file: enough for shared mapping blocks, far too few for a "billion laughs". */
export const MAX_ALIASES = 100;
/** Values produced by expanding aliases, all told: bounds the work of a few aliases to a huge anchor. */
const MAX_EXPANDED_NODES = 10_000;
/** Nesting depth of collections; sluice.yaml needs six or so. */
const MAX_DEPTH = 64;

/** Where a value sits: the line of its key (or of the item, in a list), and its children's places. */
interface Place {
  line: number;
  /** True when the value is or contains text substituted from the environment. */
  fromEnv: boolean;
  children?: Map<string | number, Place>;
}

/**
 * The file as plain JSON-like data with `${VAR}` already substituted, plus a way back from any path
 * to a line. Maps are plain objects whose keys were set as own data properties (a `__proto__` key
 * stays a key, it does not become a prototype).
 */
export interface YamlTree {
  value: unknown;
  /** 1-based line of the deepest existing node on `path` (its key's line, for map entries). */
  lineOf(path: Path): number;
  /** Whether the value at `path` holds text from the environment (and so must never be echoed). */
  fromEnv(path: Path): boolean;
}

class Refused extends Error {}

/**
 * Parses `text` as one YAML document. Returns the tree and every problem found; the tree is absent
 * when the file cannot be trusted at all (syntax errors, too big, alias bomb).
 */
export function readYamlTree(
  text: string,
  env: NodeJS.ProcessEnv,
  describeDuplicate: (path: Path, key: string, firstLine: number) => TreeProblem,
): { tree?: YamlTree; problems: TreeProblem[] } {
  const problems: TreeProblem[] = [];
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    problems.push({
      line: 0,
      message: `the file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`,
      fix: 'a workspace file is a few kilobytes: move model SQL into files (models.<name>.file)',
    });
    return { problems };
  }
  // Checked before parsing: yaml recurses once per level and is slow and fragile on 100,000 of them.
  const deepLine = lineNestedPast(text, MAX_DEPTH);
  if (deepLine > 0) {
    problems.push({
      line: deepLine,
      message: `values are nested more than ${MAX_DEPTH} levels deep`,
      fix: 'a workspace file needs a handful of levels: write the values out flat',
    });
    return { problems };
  }
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are reported below with both lines; merge keys are handled below too.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line || 1;
  for (const error of doc.errors) {
    problems.push({
      line: lineAt(error.pos[0]),
      message: yamlMessage(error.message),
      fix: 'fix the YAML syntax',
    });
  }
  if (problems.length > 0) return { problems };
  for (const warning of doc.warnings) {
    problems.push({ line: lineAt(warning.pos[0]), message: yamlMessage(warning.message), fix: 'remove it' });
  }
  const converter = new Converter(doc, lineAt, env, problems, describeDuplicate);
  let root: { value: unknown; place: Place };
  try {
    root = converter.convert(doc.contents, [], 0, 1);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return {
      problems: [
        ...problems,
        {
          line: converter.line,
          message: error.message,
          fix: 'write the values out instead of nesting aliases',
        },
      ],
    };
  }
  const placeAt = (path: Path): Place => {
    let place = root.place;
    for (const segment of path) {
      const child = place.children?.get(segment);
      if (child === undefined) break;
      place = child;
    }
    return place;
  };
  const exact = (path: Path): Place | undefined => {
    let place: Place | undefined = root.place;
    for (const segment of path) place = place?.children?.get(segment);
    return place;
  };
  return {
    tree: {
      value: root.value,
      lineOf: (path) => placeAt(path).line,
      fromEnv: (path) => exact(path)?.fromEnv ?? false,
    },
    problems,
  };
}

/** yaml's messages end with " at line 3, column 1" (and a code frame when pretty); we give the line ourselves. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return `YAML: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}

class Converter {
  readonly #doc: Document;
  readonly #lineAt: (offset: number) => number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #problems: TreeProblem[];
  readonly #describeDuplicate: (path: Path, key: string, firstLine: number) => TreeProblem;
  #aliases = 0;
  #expanded = 0;
  #insideAlias = 0;
  readonly #resolving = new Set<unknown>();
  /** Line being converted, for a refusal thrown from deep inside. */
  line = 1;

  constructor(
    doc: Document,
    lineAt: (offset: number) => number,
    env: NodeJS.ProcessEnv,
    problems: TreeProblem[],
    describeDuplicate: (path: Path, key: string, firstLine: number) => TreeProblem,
  ) {
    this.#doc = doc;
    this.#lineAt = lineAt;
    this.#env = env;
    this.#problems = problems;
    this.#describeDuplicate = describeDuplicate;
  }

  convert(node: unknown, path: Path, depth: number, fallbackLine: number): { value: unknown; place: Place } {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const line = range ? this.#lineAt(range[0]) : fallbackLine;
    this.line = line;
    if (this.#insideAlias > 0 && ++this.#expanded > MAX_EXPANDED_NODES) {
      throw new Refused(`aliases expand to more than ${MAX_EXPANDED_NODES} values`);
    }
    if (depth > MAX_DEPTH) throw new Refused(`values are nested more than ${MAX_DEPTH} levels deep`);
    if (node === null || node === undefined) return { value: null, place: { line, fromEnv: false } };
    if (isAlias(node)) return this.#alias(node, path, depth, line);
    if (isScalar(node)) return this.#scalar(node.value, line);
    if (isSeq(node)) {
      const value: unknown[] = [];
      const children = new Map<string | number, Place>();
      let fromEnv = false;
      node.items.forEach((item, index) => {
        const child = this.convert(item, [...path, index], depth + 1, line);
        value.push(child.value);
        children.set(index, child.place);
        fromEnv ||= child.place.fromEnv;
      });
      return { value, place: { line, fromEnv, children } };
    }
    if (isMap(node)) return this.#map(node.items, path, depth, line);
    this.#problems.push({
      line,
      message: 'unsupported YAML node',
      fix: 'write a plain value, list or mapping',
    });
    return { value: null, place: { line, fromEnv: false } };
  }

  #scalar(raw: unknown, line: number): { value: unknown; place: Place } {
    if (typeof raw === 'string') {
      const result = interpolate(raw, this.#env);
      for (const name of result.missing) {
        this.#problems.push({
          line,
          message: `environment variable ${name} is not set`,
          fix: `set ${name} in the environment (or write $\${ for a literal "\${")`,
        });
      }
      for (const text of result.malformed) {
        this.#problems.push({
          line,
          message: `"${text}" is not a variable reference`,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax, shown to the user.
          fix: 'write ${NAME} with NAME made of letters, digits and _, or $${ for a literal "${"',
        });
      }
      return { value: result.value, place: { line, fromEnv: result.substituted } };
    }
    if (raw === null || typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw))) {
      return { value: raw, place: { line, fromEnv: false } };
    }
    this.#problems.push({
      line,
      message: 'unsupported value (not text, a number, true/false or null)',
      fix: 'quote it',
    });
    return { value: null, place: { line, fromEnv: false } };
  }

  #alias(node: { source: string; resolve(doc: Document): unknown }, path: Path, depth: number, line: number) {
    if (++this.#aliases > MAX_ALIASES) {
      throw new Refused(`more than ${MAX_ALIASES} alias expansions (a YAML "billion laughs"?)`);
    }
    const target = node.resolve(this.#doc);
    if (target === undefined || this.#resolving.has(target)) {
      this.#problems.push({
        line,
        message:
          target === undefined ? `unknown alias *${node.source}` : `alias *${node.source} contains itself`,
        fix: 'point the alias at an anchor (&name) defined above it, outside itself',
      });
      return { value: null, place: { line, fromEnv: false } };
    }
    this.#resolving.add(target);
    this.#insideAlias++;
    try {
      const converted = this.convert(target, path, depth, line);
      // The value itself points at the alias, where it is used; lines inside it at the anchor's text.
      return { value: converted.value, place: { ...converted.place, line } };
    } finally {
      this.#insideAlias--;
      this.#resolving.delete(target);
    }
  }

  #map(pairs: readonly { key: unknown; value: unknown }[], path: Path, depth: number, line: number) {
    const value: Record<string, unknown> = {};
    const children = new Map<string | number, Place>();
    const firstLines = new Map<string, number>();
    const merges: { node: unknown; line: number }[] = [];
    let fromEnv = false;
    for (const pair of pairs) {
      let keyNode = pair.key;
      const keyRange = (keyNode as { range?: [number, number, number] } | null)?.range;
      const keyLine = keyRange ? this.#lineAt(keyRange[0]) : line;
      if (isAlias(keyNode)) keyNode = keyNode.resolve(this.#doc);
      if (keyNode !== null && keyNode !== undefined && !isScalar(keyNode)) {
        this.#problems.push({
          line: keyLine,
          message: 'a key must be plain text, not a list or mapping',
          fix: 'use a text key',
        });
        continue;
      }
      const raw = keyNode === null || keyNode === undefined ? '' : keyNode.value;
      const key = raw === null ? '' : String(raw);
      // YAML 1.1 merge key (`<<: *defaults`): merged after the explicit keys, which win.
      if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
        merges.push({ node: pair.value, line: keyLine });
        continue;
      }
      const first = firstLines.get(key);
      if (first !== undefined) {
        this.#problems.push({ ...this.#describeDuplicate(path, key, first), line: keyLine });
        continue;
      }
      firstLines.set(key, keyLine);
      const child = this.convert(pair.value, [...path, key], depth + 1, keyLine);
      Object.defineProperty(value, key, {
        value: child.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      children.set(key, { ...child.place, line: keyLine });
      fromEnv ||= child.place.fromEnv;
    }
    for (const merge of merges) {
      const merged = this.convert(merge.node, path, depth, merge.line);
      const sources = Array.isArray(merged.value) ? merged.value : [merged.value];
      const places = Array.isArray(merged.value)
        ? [...(merged.place.children?.values() ?? [])]
        : [merged.place];
      sources.forEach((source, index) => {
        if (typeof source !== 'object' || source === null || Array.isArray(source)) {
          this.#problems.push({
            line: merge.line,
            message: '<< merges only mappings',
            fix: 'point << at a mapping',
          });
          return;
        }
        for (const [key, item] of Object.entries(source)) {
          if (Object.hasOwn(value, key)) continue;
          Object.defineProperty(value, key, {
            value: item,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          const place = places[index]?.children?.get(key);
          children.set(key, {
            line: merge.line,
            fromEnv: place?.fromEnv ?? false,
            children: place?.children,
          });
          fromEnv ||= place?.fromEnv ?? false;
        }
      });
    }
    return { value, place: { line, fromEnv, children } };
  }
}
