// The command line of `npm run bench -- [SCENARIO…] [--rows N] …` (see bench/README.md).
import { parseArgs } from 'node:util';

/** Every scenario, in the order they run when none is named. */
export const SCENARIOS = [
  'raw',
  'initial',
  'read',
  'incremental',
  'events',
  'analytics-node',
  'large',
  'cursor',
  'postgres',
  'postgres-state',
];

const USAGE = `usage: npm run bench -- [SCENARIO…] [options]

scenarios (default: all, in this order): ${SCENARIOS.join(' ')}

options:
  --rows N              users for raw, initial, read, incremental (default 1000000)
  --events N            orders for the events scenario (default: --rows)
  --an-rows N           messages for analytics-node (default: --rows)
  --large-rows N        users for the large no-change scenario (default 10000000)
  --cursor-events N     events for the cursor scenario (default 10000000)
  --repeat N            raw + initial pairs to run; figures are medians (default 1)
  --flush-at N          analytics-node flushAt (default 1000)
  --duckdb-memory-limit SIZE
                        the DuckDB source's memory_limit in sluice.yaml for initial, read,
                        incremental and events (default "default": none written, so the source
                        runs on DuckDB's own defaults, as a user's does)
  --large-memory-limit SIZE
                        the same for the large and cursor scenarios (default "default": none written)
  --timeout S           kill a job after S seconds (default 1200; the large seed gets 4×)
  --profile             write a CPU profile of every sync job and summarise it
  --work-dir DIR        keep fixtures in DIR and reuse a seeded large state found there
  --keep                keep the temporary work folder
  --json FILE           also write every figure as JSON
  -h, --help            this text`;

function count(value, name) {
  const n = Number(String(value).replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive whole number, got ${value}`);
  return n;
}

/**
 * A DuckDB size for sluice.yaml's memory_limit, or undefined for "default": nothing written, so the
 * source runs on DuckDB's own defaults, as a user's does.
 */
function memoryLimit(value, name) {
  if (value === 'default') return undefined;
  if (!/^\d+(\.\d+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value))
    throw new Error(`--${name} must be a size such as 256MB or 1GiB, or default; got ${value}`);
  return value;
}

/** Parses the arguments; throws with the usage text on a mistake. */
export function parseBenchOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rows: { type: 'string' },
        events: { type: 'string' },
        'an-rows': { type: 'string' },
        'large-rows': { type: 'string' },
        'cursor-events': { type: 'string' },
        repeat: { type: 'string' },
        'flush-at': { type: 'string' },
        'duckdb-memory-limit': { type: 'string' },
        'large-memory-limit': { type: 'string' },
        timeout: { type: 'string' },
        profile: { type: 'boolean' },
        'work-dir': { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new Error(`${error.message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: USAGE };
  const unknown = positionals.filter((p) => !SCENARIOS.includes(p));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n\n${USAGE}`);
  const rows = values.rows ? count(values.rows, 'rows') : 1_000_000;
  return {
    scenarios: positionals.length > 0 ? SCENARIOS.filter((s) => positionals.includes(s)) : SCENARIOS,
    rows,
    events: values.events ? count(values.events, 'events') : rows,
    anRows: values['an-rows'] ? count(values['an-rows'], 'an-rows') : rows,
    largeRows: values['large-rows'] ? count(values['large-rows'], 'large-rows') : 10_000_000,
    cursorEvents: values['cursor-events'] ? count(values['cursor-events'], 'cursor-events') : 10_000_000,
    repeat: values.repeat ? count(values.repeat, 'repeat') : 1,
    flushAt: values['flush-at'] ? count(values['flush-at'], 'flush-at') : 1000,
    duckdbMemoryLimit: memoryLimit(values['duckdb-memory-limit'] ?? 'default', 'duckdb-memory-limit'),
    largeMemoryLimit: memoryLimit(values['large-memory-limit'] ?? 'default', 'large-memory-limit'),
    timeoutMs: (values.timeout ? count(values.timeout, 'timeout') : 1200) * 1000,
    profile: values.profile ?? false,
    workDir: values['work-dir'],
    keep: values.keep ?? false,
    json: values.json,
  };
}
