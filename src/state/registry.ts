import { SluiceError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import type { StateStore } from './state-store.js';

/**
 * The one place that names the state store implementations. Each is imported lazily, so its driver
 * (better-sqlite3's native module, pg) loads only when a workspace uses it.
 */
export async function openStateStore(config: Workspace['state']): Promise<StateStore> {
  switch (config.kind) {
    case 'sqlite': {
      // On a worker thread of its own, so a sync's state writes use the second core instead of
      // taking turns with reading, mapping and sending (bench/README.md).
      const { ThreadedStateStore } = await import('./sqlite/threaded-state-store.js');
      return ThreadedStateStore.open(config.path);
    }
    case 'postgres': {
      // Loaded only here, so a workspace on SQLite state never loads pg.
      const [{ PostgresStateStore }, pg] = await Promise.all([
        import('./postgres/postgres-state-store.js'),
        import('pg'),
      ]);
      return PostgresStateStore.open({ Pool: pg.Pool }, config.url.reveal());
    }
    default:
      throw new SluiceError(
        'config_invalid',
        `state: unknown kind ${JSON.stringify((config as { kind: unknown }).kind)}`,
      );
  }
}
