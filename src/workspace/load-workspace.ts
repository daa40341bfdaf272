import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import type {
  DestinationConfig,
  ModelConfig,
  NotifyTarget,
  SourceConfig,
  SyncConfig,
  Workspace,
} from '../core/workspace.js';
import type { DestinationType } from '../destinations/destination.js';
import { destinationType, destinationTypes } from '../destinations/registry.js';
import { deepFreeze } from './deep-freeze.js';
import { NAME_PATTERN } from './field-schemas.js';
import { parseAlerts } from './parse-alerts.js';
import {
  type DestinationTypes,
  destinationTypesOf,
  parseDestination,
  typeOfEntry,
} from './parse-destinations.js';
import { parseModel } from './parse-models.js';
import { parseNotifyTarget, parseWebhooks } from './parse-notify.js';
import { parseSource } from './parse-sources.js';
import { parseState } from './parse-state.js';
import { parseRetention, parseWorkspaceId } from './parse-state-settings.js';
import { checkAfterCycles, parseSync } from './parse-syncs.js';
import { capProblems, checkKeys, clip, isMapping, kindOf, own, Problems } from './problems.js';
import { MAX_FILE_BYTES, type Path, readYamlTree, type TreeProblem } from './yaml-tree.js';

/** Options of {@link loadWorkspace}. */
export interface LoadWorkspaceOptions {
  /** Where `${VAR}` values come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** The workspace file, relative to the folder (default "sluice.yaml"). */
  file?: string;
  /** Destination types to accept instead of destinations/registry.ts (tests). */
  destinationTypes?: readonly DestinationType[];
}

/** What {@link parseWorkspace} needs besides the text. */
export interface ParseWorkspaceContext {
  /** The workspace folder: relative paths in the file are relative to it. */
  dir: string;
  /** The workspace file, absolute or relative to `dir`. */
  file: string;
  env: NodeJS.ProcessEnv;
  /** Reads a model's `file:` (default: fs.readFileSync as UTF-8). */
  readFile?: (absPath: string) => string;
  /** Destination types to accept instead of destinations/registry.ts (tests). */
  destinationTypes?: readonly DestinationType[];
}

const SECTIONS = [
  'workspace_id',
  'state',
  'retention',
  'notify',
  'alerts',
  'webhooks',
  'sources',
  'destinations',
  'models',
  'syncs',
] as const;
const ENTRY_LABELS: Readonly<Record<string, string>> = {
  notify: 'notify target',
  sources: 'source',
  destinations: 'destination',
  models: 'model',
  syncs: 'sync',
};

const registry: DestinationTypes = {
  get: destinationType,
  names: Object.keys(destinationTypes),
};

/**
 * Reads, interpolates and validates `<dir>/sluice.yaml` (SPEC §1) into a frozen Workspace.
 * Throws ConfigError carrying every problem found, each with its line and a fix.
 */
export async function loadWorkspace(dir: string, options: LoadWorkspaceOptions = {}): Promise<Workspace> {
  const absDir = path.resolve(dir);
  const absFile = path.resolve(absDir, options.file ?? 'sluice.yaml');
  const shown = displayName(absDir, absFile);
  const refuse = (message: string, fix: string): never => {
    throw new ConfigError([{ file: shown, line: 0, message, fix }]);
  };
  const info = await stat(absFile).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT'
      ? refuse(`there is no ${shown} in ${absDir}`, 'run `sluice init`, or point -w at the workspace folder')
      : refuse(
          `${shown} cannot be read (${error.code ?? error.message})`,
          'check the path and its permissions',
        ),
  );
  if (!info.isFile()) refuse(`${shown} is not a file`, 'point -w at the folder holding sluice.yaml');
  // Checked before reading, so that a huge file is never loaded into memory.
  if (info.size > MAX_FILE_BYTES) {
    refuse(
      `${shown} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`,
      'a workspace file is a few kilobytes: move model SQL into files',
    );
  }
  const text = await readFile(absFile, 'utf8');
  return parseWorkspace(text, {
    dir: absDir,
    file: absFile,
    env: options.env ?? process.env,
    ...(options.destinationTypes ? { destinationTypes: options.destinationTypes } : {}),
  });
}

/** The synchronous core of {@link loadWorkspace}: validates the text of a workspace file. */
export function parseWorkspace(text: string, ctx: ParseWorkspaceContext): Workspace {
  const dir = path.resolve(ctx.dir);
  const file = path.resolve(dir, ctx.file);
  const shown = displayName(dir, file);
  const { tree, problems: treeProblems } = readYamlTree(text, ctx.env, describeDuplicate);
  if (tree === undefined) {
    throw new ConfigError(capProblems(treeProblems.map((problem) => ({ file: shown, ...problem }))));
  }
  const p = new Problems(shown, tree);
  for (const problem of treeProblems) p.addAtLine(problem);

  const root = tree.value ?? {};
  if (!isMapping(root)) {
    p.add(
      [],
      `the file must be a mapping of ${SECTIONS.join(', ')}, not ${kindOf(root)}`,
      'see `sluice init` for an example',
    );
    throw new ConfigError(p.sorted());
  }
  checkKeys(p, [], root, SECTIONS);
  const state = parseState(p, own(root, 'state'), dir);
  const workspaceId = parseWorkspaceId(p, own(root, 'workspace_id'));
  const retention = parseRetention(p, own(root, 'retention'));
  const types = ctx.destinationTypes ? destinationTypesOf(ctx.destinationTypes) : registry;
  const readModel = ctx.readFile ?? ((absPath: string) => readFileSync(absPath, 'utf8'));

  const rawSources = section(p, root, 'sources');
  const rawDestinations = section(p, root, 'destinations');
  const rawModels = section(p, root, 'models');
  const rawSyncs = section(p, root, 'syncs');
  const rawNotify = section(p, root, 'notify');

  const notify = collect(rawNotify, (name, raw) => parseNotifyTarget(p, ['notify', name], name, raw));
  // Every name written counts as a target here, valid or not, so one bad target is one problem.
  const targetNames = [...rawNotify.keys()];
  const webhooks = parseWebhooks(p, own(root, 'webhooks'), targetNames);
  const alerts = parseAlerts(p, ['alerts'], own(root, 'alerts'), targetNames);

  const sources = collect(rawSources, (name, raw) => parseSource(p, ['sources', name], raw, dir));
  const destinations = collect(rawDestinations, (name, raw) =>
    parseDestination(p, ['destinations', name], raw, types),
  );
  const sourceNames = [...rawSources.keys()];
  const models = collect(rawModels, (name, raw) =>
    parseModel(p, ['models', name], raw, { dir, sourceNames, readFile: readModel }),
  );
  const syncContext = {
    modelNames: [...rawModels.keys()],
    destinationNames: [...rawDestinations.keys()],
    syncNames: [...rawSyncs.keys()],
    sourceNames,
    sourceType: (name: string) => entryText(rawSources.get(name), 'type'),
    sourcePath: (name: string) => entryText(rawSources.get(name), 'path'),
    destinationType: (name: string) => typeOfEntry(rawDestinations.get(name), types),
    targetNames,
    alerts: alerts ?? [],
  };
  const syncs = collect(rawSyncs, (name, raw) => parseSync(p, ['syncs', name], name, raw, syncContext));
  checkAfterCycles(p, syncs);

  if (p.size > 0 || state === undefined) throw new ConfigError(p.sorted());
  return deepFreeze<Workspace>({
    dir,
    file,
    ...(workspaceId === undefined ? {} : { workspaceId }),
    state,
    ...(retention === undefined ? {} : { retention }),
    ...(notify.size === 0 ? {} : { notify: record<NotifyTarget>(notify) }),
    ...(webhooks === undefined ? {} : { webhooks }),
    sources: record<SourceConfig>(sources),
    destinations: record<DestinationConfig>(destinations),
    models: record<ModelConfig>(models),
    syncs: record<SyncConfig>(syncs),
  });
}

/** The file as problems name it: relative to the workspace ("sluice.yaml"). */
function displayName(dir: string, file: string): string {
  const relative = path.relative(dir, file);
  return relative === '' || relative.startsWith('..') ? path.basename(file) : relative;
}

/** The entries of a top-level section (absent or empty = none), each name checked. */
function section(p: Problems, root: Record<string, unknown>, key: string): Map<string, unknown> {
  const raw = own(root, key);
  const entries = new Map<string, unknown>();
  if (raw === undefined || raw === null) return entries;
  const label = ENTRY_LABELS[key]!;
  if (!isMapping(raw)) {
    p.add(
      [key],
      `${key} must be a mapping of ${label} name → ${label}, not ${kindOf(raw)}`,
      `write it as ${key}: { NAME: … }`,
    );
    return entries;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!NAME_PATTERN.test(name)) {
      p.add(
        [key, name],
        `${label} name ${JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name)} is not allowed`,
        'use up to 64 letters, digits, "-", "_" and ".", starting with a letter or digit',
      );
    }
    entries.set(name, value);
  }
  return entries;
}

function collect<T>(
  raw: ReadonlyMap<string, unknown>,
  parse: (name: string, raw: unknown) => T | undefined,
): Map<string, T> {
  const parsed = new Map<string, T>();
  for (const [name, value] of raw) {
    const result = parse(name, value);
    if (result !== undefined) parsed.set(name, result);
  }
  return parsed;
}

/** A name-keyed record without a prototype, so that a name like "toString" finds nothing it should not. */
function record<T>(entries: ReadonlyMap<string, T>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) out[name] = value;
  return out;
}

function describeDuplicate(path: Path, key: string, firstLine: number): TreeProblem {
  const [sectionName, , sub] = path;
  if (path.length === 3 && sectionName === 'syncs' && sub === 'mappings') {
    return {
      line: 0,
      message: `two mappings to the same path "${clip(key)}" (the first on line ${firstLine})`,
      fix: 'keep one of them',
    };
  }
  const label = path.length === 1 && typeof sectionName === 'string' ? ENTRY_LABELS[sectionName] : undefined;
  if (label !== undefined) {
    return {
      line: 0,
      message: `two ${label}s named "${clip(key)}" (the first on line ${firstLine})`,
      fix: 'rename or remove one',
    };
  }
  return {
    line: 0,
    message: `duplicate key "${clip(key)}" (the first on line ${firstLine})`,
    fix: 'remove one of them',
  };
}

/** A text value of a raw entry (`type:`, `path:`), when the entry is a mapping that has one. */
function entryText(raw: unknown, key: string): string | undefined {
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, key)) return undefined;
  const value = (raw as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
