import { type ConfigProblem, formatProblems, isSluiceError } from '../core/errors.js';
import { destinationType } from '../destinations/registry.js';
import { compileMapping } from '../mapping/compile-mapping.js';
import type { SourceColumn } from '../sources/source.js';
import { columnProblems } from '../sync/column-problems.js';
import { cursorTypeProblem } from '../sync/event-cursor.js';
import { modelErrorProblem, probeModel } from '../sync/model-sql.js';
import { mappingSpecFor } from '../sync/plan-details.js';
import type { WorkspaceParts } from './workspace-parts.js';

/** One thing `check` tested: the state store, a source, a destination, a model or a sync. */
export interface CheckItem {
  kind: 'state' | 'source' | 'destination' | 'model' | 'sync';
  name: string;
  ok: boolean;
  /** Not checked, because what it needs failed (a model whose source did not connect). */
  skipped?: boolean;
  notes: string[];
  /** Located problems in the workspace or a model file, one line each. */
  problems: ConfigProblem[];
  /** A model's columns, with the engine's type names where it gives them. */
  columns?: SourceColumn[];
}

/** What `check` found: `ok` only if every item is. */
export interface CheckReport {
  ok: boolean;
  /** The workspace file checked. */
  workspace: string;
  checks: CheckItem[];
}

/**
 * Checks a loaded workspace (every file problem was reported when it loaded): tests the state store,
 * every source and destination, runs every model returning no rows, and compares each sync's key,
 * mappings and template variables with its model's columns (SPEC §4). Never throws for what it
 * finds: each problem is an item that is not ok.
 */
export async function checkWorkspace(parts: WorkspaceParts): Promise<CheckReport> {
  const ws = parts.workspace;
  const items: CheckItem[] = [];
  items.push(
    await attempt('state', ws.state.kind, async () => {
      const state = await parts.state();
      return [`workspace id ${await state.workspaceId()}`];
    }),
  );
  const connected = new Set<string>();
  for (const [name, config] of Object.entries(ws.sources)) {
    const item = await attempt('source', name, async () => {
      await (await parts.source(name)).check();
      return [`${config.type}: connected`];
    });
    if (item.ok) connected.add(name);
    items.push(item);
  }
  for (const [name, config] of Object.entries(ws.destinations)) {
    items.push(
      await attempt('destination', name, async () => {
        const result = await parts.destination(name).check();
        const notes = [
          `${config.type}, ${destinationType(config.type)!.describe(config.config)}`,
          ...result.notes,
        ];
        if (!result.ok) throw new CheckFailed(notes);
        return notes;
      }),
    );
  }

  // Every model once, reading no rows: its columns, or the SQL error placed on the user's own line.
  const columns = new Map<string, SourceColumn[]>();
  for (const [name, model] of Object.entries(ws.models)) {
    if (!connected.has(model.source)) {
      items.push(skipped('model', name, `not run: source "${model.source}" did not connect`));
      continue;
    }
    try {
      const found = await probeModel(await parts.source(model.source), model.sql);
      columns.set(name, found);
      const shown = found.map((c) => (c.type === undefined ? c.name : `${c.name} ${c.type}`));
      items.push({
        kind: 'model',
        name,
        ok: true,
        notes: [`columns: ${shown.join(', ')}`],
        problems: [],
        columns: found,
      });
    } catch (error) {
      const problem = modelErrorProblem(name, model, error);
      items.push({ kind: 'model', name, ok: false, notes: [formatProblems([problem])], problems: [problem] });
    }
  }

  for (const sync of Object.values(ws.syncs)) {
    const model = ws.models[sync.model]!;
    const summary = `${model.source}/${sync.model} → ${sync.destination} as ${sync.object}`;
    let problems: ConfigProblem[];
    try {
      compileMapping(mappingSpecFor(sync, parts.descriptor(sync)));
      const modelColumns = columns.get(sync.model);
      if (modelColumns === undefined) {
        items.push(
          skipped('sync', sync.name, `${summary}; columns not checked: model "${sync.model}" did not run`),
        );
        continue;
      }
      problems = columnProblems(
        sync,
        parts.descriptor(sync),
        modelColumns.map((c) => c.name),
      );
      // A cursor on a column that holds no timestamps fails every run at its start (event-cursor.ts).
      const cursor = cursorTypeProblem(sync, (await parts.source(model.source)).capabilities, modelColumns);
      if (cursor !== null) problems.push(cursor);
    } catch (error) {
      problems = isSluiceError(error) && error.problems.length > 0 ? [...error.problems] : [];
      if (problems.length === 0) {
        const message = error instanceof Error ? error.message : String(error);
        problems = [{ file: sync.file, line: sync.line, message: `sync "${sync.name}": ${message}` }];
      }
    }
    items.push({
      kind: 'sync',
      name: sync.name,
      ok: problems.length === 0,
      notes: [summary, ...problems.map((p) => formatProblems([p]))],
      problems,
    });
  }

  return { ok: items.every((i) => i.ok), workspace: ws.file, checks: items };
}

class CheckFailed extends Error {
  readonly notes: string[];
  constructor(notes: string[]) {
    super(notes.join('; '));
    this.notes = notes;
  }
}

function skipped(kind: CheckItem['kind'], name: string, note: string): CheckItem {
  return { kind, name, ok: false, skipped: true, notes: [note], problems: [] };
}

async function attempt(
  kind: CheckItem['kind'],
  name: string,
  test: () => Promise<string[]>,
): Promise<CheckItem> {
  try {
    return { kind, name, ok: true, notes: await test(), problems: [] };
  } catch (error) {
    if (error instanceof CheckFailed) return { kind, name, ok: false, notes: error.notes, problems: [] };
    const message = isSluiceError(error) || error instanceof Error ? error.message : String(error);
    return { kind, name, ok: false, notes: [message], problems: [] };
  }
}
