import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import { Secret, type Workspace } from '../core/workspace.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import { runLockName } from '../sync/run-lock.js';
import type { WorkspaceParts } from './workspace-parts.js';

/** What `sluice state migrate` copied. */
export interface MigrateDocument {
  /** Where to, as `state:` would name it (a password shown as ***). */
  to: string;
  runs: number;
  records: number;
  keys: number;
  /** API tokens (SPEC §6): the HTTP API takes the same tokens on the copy. */
  tokens: number;
  /** Whether a state that was there was replaced (`force`). */
  replaced: boolean;
}

/**
 * Copies the workspace's whole state into the store at `to` (`postgres://…` or `sqlite:PATH`):
 * the workspace id, every run with its records, per sync and key what was delivered and what is
 * pending, and the API tokens, so that after switching `state:` a run sends nothing delivered before and retries what
 * was pending under the same messageIds (SPEC §5). Refuses a target that holds a state unless
 * `force` (which replaces it), and refuses while a sync runs (its writes would be missed).
 */
export async function migrateState(
  parts: WorkspaceParts,
  to: string,
  options: { force?: boolean } = {},
): Promise<MigrateDocument> {
  const target = parseTarget(to, parts.workspace.dir);
  if (
    target.kind === 'sqlite' &&
    parts.workspace.state.kind === 'sqlite' &&
    target.path === parts.workspace.state.path
  ) {
    throw new SluiceError('usage', `the state is already at ${to}: name another state to copy it to`);
  }
  const source = await parts.state();
  for (const sync of Object.keys(parts.workspace.syncs)) {
    const held = await source.locks.holder(runLockName(sync));
    if (held !== null) {
      throw new SluiceError(
        'sync_locked',
        `sync "${sync}" is running (${held.holder.label}, pid ${held.holder.pid} on ${held.holder.host}): migrate once no sync runs, so that no write is missed`,
      );
    }
  }
  const into = await openStateStore(target);
  try {
    let replaced = false;
    if (!(await into.transfer.isEmpty())) {
      if (!options.force) {
        throw new SluiceError(
          'usage',
          `${shown(to)} already holds a state (runs, keys or API tokens): add --force to replace it with this workspace's`,
        );
      }
      await into.transfer.clear();
      replaced = true;
    }
    const copied = await copy(source, into);
    await verify(source, into, Object.keys(parts.workspace.syncs));
    return { to: shown(to), ...copied, replaced };
  } finally {
    await into.close();
  }
}

async function copy(
  source: StateStore,
  into: StateStore,
): Promise<{ runs: number; records: number; keys: number; tokens: number }> {
  const copied = { runs: 0, records: 0, keys: 0, tokens: 0 };
  let cursor: string | null = null;
  do {
    const page = await source.transfer.exportPage(cursor);
    await into.transfer.importPieces(page.pieces);
    for (const piece of page.pieces) {
      if (piece.kind === 'run') copied.runs++;
      else if (piece.kind === 'records') copied.records += piece.records.length;
      else if (piece.kind === 'keys') copied.keys += piece.keys.length;
      else if (piece.kind === 'tokens') copied.tokens += piece.tokens.length;
    }
    cursor = page.next;
  } while (cursor !== null);
  return copied;
}

/**
 * The copy holds what the original does: the same workspace id, as many keys per sync, and the same
 * API tokens.
 */
async function verify(source: StateStore, into: StateStore, syncs: readonly string[]): Promise<void> {
  const [from, to] = [await source.workspaceId(), await into.workspaceId()];
  if (from !== to) throw new SluiceError('state_error', `the copy's workspace id is ${to}, not ${from}`);
  for (const sync of syncs) {
    const [a, b] = [await source.ledger.countKeys(sync), await into.ledger.countKeys(sync)];
    if (a.keys !== b.keys || a.removed !== b.removed) {
      throw new SluiceError(
        'state_error',
        `the copy holds ${b.keys} keys of sync "${sync}", the original ${a.keys}`,
      );
    }
  }
  const names = async (store: StateStore) => (await store.tokens.list()).map((token) => token.name).join();
  if ((await names(source)) !== (await names(into))) {
    throw new SluiceError('state_error', "the copy's API tokens are not the original's");
  }
}

function parseTarget(to: string, dir: string): Workspace['state'] {
  if (to.startsWith('sqlite:') && to.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: path.resolve(dir, to.slice('sqlite:'.length)) };
  }
  if (/^postgres(ql)?:\/\//.test(to)) return { kind: 'postgres', url: new Secret(to) };
  throw new SluiceError(
    'usage',
    `--to must be postgres://USER:PASSWORD@HOST:5432/DB or sqlite:PATH, not ${shown(to)}`,
  );
}

/** A state URL fit to print: its password replaced. */
function shown(to: string): string {
  try {
    const url = new URL(to);
    if (url.password !== '') url.password = '***';
    return url.protocol === 'sqlite:' ? to : url.toString();
  } catch {
    return to.startsWith('sqlite:') ? to : '(a state URL that does not parse)';
  }
}
