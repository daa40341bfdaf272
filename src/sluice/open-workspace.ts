import path from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { loadWorkspace, parseWorkspace } from '../workspace/load-workspace.js';
import { Sluice } from './sluice.js';
import { WorkspaceParts } from './workspace-parts.js';

/**
 * A workspace given in code rather than as a folder: `config` is the text of a sluice.yaml, or the
 * same structure as an object. Relative paths in it (model files, DuckDB files, `state:`) are
 * relative to `dir` (default: the current folder); problems name `file` (default "sluice.yaml").
 */
export interface WorkspaceInCode {
  config: string | Record<string, unknown>;
  dir?: string;
  file?: string;
}

export interface OpenWorkspaceOptions {
  /** Where `${VAR}` values in the workspace come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens a workspace: the folder holding `sluice.yaml`, or a workspace given in code. Everything in
 * it is validated at once; a problem is a `SluiceError` with code `config_invalid` and one located
 * problem per line (`error.problems`), as `sluice check` prints them. Nothing is connected until
 * used; close the answer with `close()` (or `await using`).
 *
 * ```ts
 * import { openWorkspace } from 'sluice';
 * await using sluice = await openWorkspace('./analytics');
 * const run = await sluice.run('users-to-segment');
 * if (run.status === 'failed') throw new Error(run.error?.message);
 * ```
 */
export async function openWorkspace(
  workspace: string | WorkspaceInCode,
  options: OpenWorkspaceOptions = {},
): Promise<Sluice> {
  const env = options.env ?? process.env;
  const loaded: Workspace =
    typeof workspace === 'string'
      ? await loadWorkspace(workspace, { env })
      : parseWorkspace(
          // YAML is a superset of JSON: an object goes through the same parser, so its problems read
          // the same (their lines are those of the object printed two spaces deep).
          typeof workspace.config === 'string' ? workspace.config : JSON.stringify(workspace.config, null, 2),
          { dir: path.resolve(workspace.dir ?? '.'), file: workspace.file ?? 'sluice.yaml', env },
        );
  return new Sluice(new WorkspaceParts(loaded));
}
