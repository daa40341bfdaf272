import { isSluiceError } from '../../core/errors.js';
import { compileMapping } from '../../mapping/compile-mapping.js';
import { mappingSpecFor } from '../../sync/plan-details.js';
import { EXIT } from '../exit-codes.js';
import { type Io, printJson } from '../output.js';
import type { Runtime } from '../runtime.js';

interface CheckItem {
  kind: 'state' | 'source' | 'destination' | 'sync';
  name: string;
  ok: boolean;
  notes: string[];
}

/**
 * `sluice check`: the workspace already loaded (every file problem was reported by then, exit 2);
 * now test the state store, every source and destination, and compile every sync's mappings.
 * Exit 0 only if all is well.
 */
export async function checkCommand(runtime: Runtime, options: { json: boolean }, io: Io): Promise<number> {
  const ws = runtime.workspace;
  const items: CheckItem[] = [];

  items.push(
    await attempt('state', ws.state.kind, async () => {
      const state = await runtime.state();
      return [`workspace id ${await state.workspaceId()}`];
    }),
  );
  for (const [name, config] of Object.entries(ws.sources)) {
    items.push(
      await attempt('source', name, async () => {
        await (await runtime.source(name)).check();
        return [`${config.type}: connected`];
      }),
    );
  }
  for (const [name, config] of Object.entries(ws.destinations)) {
    items.push(
      await attempt('destination', name, async () => {
        const result = await runtime.destination(name).check();
        const notes = [`${config.type}, write key ${config.writeKey.fingerprint()}`, ...result.notes];
        if (!result.ok) throw new CheckFailed(notes);
        return notes;
      }),
    );
  }
  for (const sync of Object.values(ws.syncs)) {
    items.push(
      await attempt('sync', sync.name, async () => {
        compileMapping(mappingSpecFor(sync, runtime.descriptor(sync)));
        return [`${ws.models[sync.model]!.source}/${sync.model} → ${sync.destination} as ${sync.object}`];
      }),
    );
  }

  const ok = items.every((i) => i.ok);
  if (options.json) {
    printJson(io, { ok, workspace: ws.file, checks: items });
  } else {
    for (const item of items) {
      io.stdout.write(`${item.ok ? '✓' : '✗'} ${item.kind} ${item.name}\n`);
      for (const note of item.notes) io.stdout.write(`    ${note}\n`);
    }
    io.stdout.write(ok ? 'All checks passed.\n' : 'Some checks failed.\n');
  }
  if (ok) return EXIT.ok;
  return items.some((i) => !i.ok && i.kind === 'sync') ? EXIT.invalid : EXIT.runFailed;
}

class CheckFailed extends Error {
  readonly notes: string[];
  constructor(notes: string[]) {
    super(notes.join('; '));
    this.notes = notes;
  }
}

async function attempt(
  kind: CheckItem['kind'],
  name: string,
  test: () => Promise<string[]>,
): Promise<CheckItem> {
  try {
    return { kind, name, ok: true, notes: await test() };
  } catch (error) {
    if (error instanceof CheckFailed) return { kind, name, ok: false, notes: error.notes };
    const message = isSluiceError(error) || error instanceof Error ? error.message : String(error);
    return { kind, name, ok: false, notes: [message] };
  }
}
