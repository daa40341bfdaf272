import { SluiceError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import type { StateStore } from './state-store.js';

export interface OpenStateStoreOptions {
  /**
   * SQLite only: run the store on a worker thread (the default), so a sync's state writes use the
   * second core instead of taking turns with reading, mapping and sending (bench/README.md).
   */
  thread?: boolean;
}

/**
 * The one place that names the state store implementations. Each is imported lazily, so its driver
 * (better-sqlite3's native module, later pg) loads only when a workspace uses it.
 */
export async function openStateStore(
  config: Workspace['state'],
  options: OpenStateStoreOptions = {},
): Promise<StateStore> {
  switch (config.kind) {
    case 'sqlite': {
      if (options.thread ?? true) {
        const { ThreadedStateStore } = await import('./sqlite/threaded-state-store.js');
        return ThreadedStateStore.open(config.path);
      }
      const { SqliteStateStore } = await import('./sqlite/sqlite-state-store.js');
      return SqliteStateStore.open(config.path);
    }
    case 'postgres':
      throw new SluiceError(
        'config_invalid',
        'state: PostgreSQL state is not supported yet; use sqlite:PATH (the default is sqlite:.sluice/state.db)',
      );
    default:
      throw new SluiceError(
        'config_invalid',
        `state: unknown kind ${JSON.stringify((config as { kind: unknown }).kind)}`,
      );
  }
}
