import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { openWorkspace, type Sluice, TOKEN_ROLES, VERSION } from '../index.js';
import { type AlertsFlags, alertsCommand } from './commands/alerts.js';
import { checkCommand } from './commands/check.js';
import { recordsCommand, runsCommand } from './commands/history.js';
import { inspectCommand } from './commands/inspect.js';
import { modelPreviewCommand } from './commands/model-preview.js';
import { pruneCommand } from './commands/prune.js';
import { stateMigrateCommand } from './commands/state-migrate.js';
import { syncListCommand } from './commands/sync-list.js';
import { syncRunCommand } from './commands/sync-run.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './commands/token.js';
import { workerCommand } from './commands/worker.js';
import { EXIT } from './exit-codes.js';
import { LOG_FORMATS, type LogFormat } from './log-lines.js';
import type { Io } from './output.js';
import { reportError } from './report-error.js';

// `init`, `demo`, `receiver` and `serve` load their modules when they run (`await import`): the
// HTTP API (hono, zod-openapi, prom-client) and the demo's DuckDB warehouse took ≈ 250 ms of every
// other command's start, an hourly `sluice sync run` included.

/**
 * Runs the CLI with `argv` (process.argv form) and resolves to the exit code (SPEC §4). Never calls
 * process.exit, so tests can run it in-process.
 */
export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let exitCode = EXIT.ok as number;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // --help and --version end through here too, successfully.
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT.ok;
    return reportError(error, io, wantsJson(argv));
  }
  return exitCode;
}

/**
 * Whether the user asked for JSON: read from the words typed, since a usage error (or a workspace
 * that does not load) ends the command before its options are parsed. Words after `--` are
 * arguments, not options.
 */
function wantsJson(argv: readonly string[]): boolean {
  const words = argv.slice(2);
  const end = words.indexOf('--');
  return (end === -1 ? words : words.slice(0, end)).includes('--json');
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('sluice')
    .description('Reverse ETL: SQL models from your warehouse into Segment — only what changed, once.')
    .version(VERSION)
    .option('-w, --workspace <dir>', 'the workspace folder holding sluice.yaml', '.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError();

  /** Commands that work on the workspace open it through the public API, as any program would. */
  const withWorkspace = async (fn: (sluice: Sluice) => Promise<number>): Promise<void> => {
    const sluice = await openWorkspace(program.opts<{ workspace: string }>().workspace);
    try {
      setExit(await fn(sluice));
    } finally {
      await sluice.close();
    }
  };

  program
    .command('init')
    .description('write a runnable demo workspace (DuckDB warehouse, three syncs, aimed at a local receiver)')
    .argument('[dir]', 'folder to create', '.')
    .option('--endpoint <url>', 'where the demo destination sends', 'http://127.0.0.1:8787')
    .option('--force', 'overwrite an existing sluice.yaml', false)
    .action(async (dir: string, opts: { endpoint: string; force: boolean }) => {
      const { initCommand } = await import('./commands/init.js');
      setExit(await initCommand(dir, opts, io));
    });

  program
    .command('demo')
    .description('build a fresh demo workspace, start a local receiver and run every demo sync (npm start)')
    .argument('[dir]', 'folder for the demo workspace (deleted and recreated)', 'demo')
    .action(async (dir: string) => {
      const { demoCommand } = await import('./commands/demo.js');
      setExit(await demoCommand(dir, io));
    });

  program
    .command('check')
    .description('validate the workspace and test every connection')
    .option('--json', 'print one JSON document', false)
    .action(async (opts: { json: boolean }) => withWorkspace((sluice) => checkCommand(sluice, opts, io)));

  const sync = program.command('sync').description('list and run syncs');
  sync
    .command('list')
    .description('the syncs, their schedule and last run')
    .option('--json', 'print one JSON document', false)
    .action(async (opts: { json: boolean }) => withWorkspace((sluice) => syncListCommand(sluice, opts, io)));
  sync
    .command('run')
    .description('run syncs now, one after another')
    .argument('<name...>', 'sync names')
    .option('--dry-run', 'plan and explain, send nothing, remember nothing', false)
    .option('--full-resync', 'resend every user/group row as a new change (refused for event syncs)', false)
    .option('--retry-abandoned', 'try again the rows the retry policy gave up on', false)
    .option('--strict', 'exit 3 when any row was invalid or failed', false)
    .option('--json', 'print the run summaries as JSON', false)
    .addOption(
      new Option(
        '--log-format <format>',
        'structured logs on stderr (one JSON object a line, or words) instead of the progress display',
      ).choices(LOG_FORMATS),
    )
    .action(
      async (
        names: string[],
        opts: {
          dryRun: boolean;
          fullResync: boolean;
          retryAbandoned: boolean;
          strict: boolean;
          json: boolean;
          logFormat?: LogFormat;
        },
      ) => withWorkspace((sluice) => syncRunCommand(sluice, names, opts, io)),
    );

  program
    .command('model')
    .description('look at models')
    .command('preview')
    .description("a model's first rows as Sluice reads them, with the type each column is sent as")
    .argument('<name>', 'a model name from sluice.yaml')
    .addOption(
      new Option('--limit <n>', 'how many rows to read (0: only the columns and their types)')
        .argParser(wholeNumber)
        .default(20),
    )
    .option('--json', 'print one JSON document', false)
    .action(async (name: string, opts: { limit: number; json: boolean }) =>
      withWorkspace((sluice) => modelPreviewCommand(sluice, name, opts, io)),
    );

  program
    .command('runs')
    .description('run history, newest first')
    .argument('[sync]', 'only this sync')
    .addOption(new Option('--limit <n>', 'how many').argParser(countOfOneOrMore).default(20))
    .option('--json', 'print one JSON document', false)
    .action(async (name: string | undefined, opts: { limit: number; json: boolean }) =>
      withWorkspace((sluice) => runsCommand(sluice, name, opts, io)),
    );

  program
    .command('records')
    .description('per-row outcomes of a run: key, status, reason, messageId, payload')
    .argument('<run_id>', 'a run id from `sluice runs`')
    .option('--status <status>', 'succeeded | failed | abandoned | invalid | removed')
    .addOption(new Option('--limit <n>', 'how many').argParser(countOfOneOrMore).default(100))
    .option('--json', 'print one JSON document', false)
    .action(async (runId: string, opts: { status?: string; limit: number; json: boolean }) =>
      withWorkspace((sluice) => recordsCommand(sluice, runId, opts, io)),
    );

  program
    .command('inspect')
    .description(
      "a run's HTTP exchanges with the destination: every failed one and a sample, secrets redacted",
    )
    .argument('<run_id>', 'a run id from `sluice runs`')
    .addOption(new Option('--limit <n>', 'how many').argParser(countOfOneOrMore).default(100))
    .option('--json', 'print one JSON document', false)
    .action(async (runId: string, opts: { limit: number; json: boolean }) =>
      withWorkspace((sluice) => inspectCommand(sluice, runId, opts, io)),
    );

  program
    .command('alerts')
    .description("alerts raised and resolved, and how each notify target's deliveries go")
    .option('--sync <name>', "only this sync's alerts")
    .addOption(
      new Option('--state <state>', 'only open or only resolved alerts').choices(['raised', 'resolved']),
    )
    .addOption(new Option('--limit <n>', 'how many').argParser(countOfOneOrMore).default(50))
    .option('--json', 'print one JSON document', false)
    .action(async (opts: AlertsFlags) => withWorkspace((sluice) => alertsCommand(sluice, opts, io)));

  program
    .command('prune')
    .description(
      "apply retention now: delete per-row records and inspector exchanges of old runs (each key's last delivery is kept)",
    )
    .option('--json', 'print one JSON document', false)
    .action(async (opts: { json: boolean }) => withWorkspace((sluice) => pruneCommand(sluice, opts, io)));

  program
    .command('state')
    .description("move the workspace's state")
    .command('migrate')
    .description('copy the state (runs, records, what was delivered) into another store, e.g. PostgreSQL')
    .requiredOption('--to <url>', 'postgres://USER:PASSWORD@HOST:5432/DB or sqlite:PATH')
    .option('--force', 'replace a state the target already holds', false)
    .option('--json', 'print one JSON document', false)
    .action(async (opts: { to: string; force: boolean; json: boolean }) =>
      withWorkspace((sluice) => stateMigrateCommand(sluice, opts, io)),
    );

  const token = program.command('token').description('API tokens for sluice serve');
  token
    .command('create')
    .description('make an API token and print it, once: only its hash is stored')
    .argument('<name>', '1-64 letters, digits, "-", "_" or "."')
    .option(
      '--role <role>',
      `${TOKEN_ROLES.join(' | ')}: viewer reads; operator also triggers and cancels runs; admin also manages tokens`,
      'viewer',
    )
    .option('--json', 'print one JSON document', false)
    .action(async (name: string, opts: { role: string; json: boolean }) =>
      withWorkspace((sluice) => tokenCreateCommand(sluice, name, opts, io)),
    );
  token
    .command('list')
    .description('the API tokens: name, role, when made and last used (never the tokens)')
    .option('--json', 'print one JSON document', false)
    .action(async (opts: { json: boolean }) => withWorkspace((sluice) => tokenListCommand(sluice, opts, io)));
  token
    .command('revoke')
    .description('delete an API token: requests with it are refused from then on')
    .argument('<name>', 'a name from `sluice token list`')
    .option('--json', 'print one JSON document', false)
    .action(async (name: string, opts: { json: boolean }) =>
      withWorkspace((sluice) => tokenRevokeCommand(sluice, name, opts, io)),
    );

  program
    .command('serve')
    .description('the scheduler, the HTTP API and a worker in one process (SPEC §5, §6)')
    .option('--host <host>', 'address to bind (other than loopback: needs an API token first)', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free one)').argParser(portNumber).default(8080),
    )
    .addOption(
      new Option('--concurrency <n>', 'runs at once in this process').argParser(countOfOneOrMore).default(4),
    )
    .option('--metrics-public', 'serve /metrics without a token', false)
    .addOption(logFormatOption())
    .action(
      async (opts: {
        host: string;
        port: number;
        concurrency: number;
        metricsPublic: boolean;
        logFormat: LogFormat;
      }) => {
        const { serveCommand } = await import('./commands/serve.js');
        return withWorkspace((sluice) => serveCommand(sluice, opts, io));
      },
    );

  program
    .command('worker')
    .description(
      'take runs from the queue in the shared PostgreSQL state until stopped (state: postgres://…)',
    )
    .addOption(
      new Option('--concurrency <n>', 'runs at once in this process').argParser(countOfOneOrMore).default(1),
    )
    .addOption(logFormatOption())
    .action(async (opts: { concurrency: number; logFormat: LogFormat }) =>
      withWorkspace((sluice) => workerCommand(sluice, opts, io)),
    );

  program
    .command('receiver')
    .description("a local Segment-compatible endpoint that enforces Segment's rules")
    .addOption(new Option('--port <port>', 'port to listen on').argParser(portNumber).default(8787))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--write-key <key...>',
      'accept only these write keys (others are answered 200 and dropped, like Segment)',
    )
    .option('--out <file>', 'append accepted messages to this JSONL file')
    .addOption(new Option('--fail-rate <p>', 'answer this share of requests with 500').argParser(probability))
    .addOption(
      new Option('--rate-limit-rate <p>', 'answer this share with 429 + Retry-After').argParser(probability),
    )
    .addOption(new Option('--retry-after <s>', 'Retry-After seconds for 429s').argParser(wholeNumber))
    .addOption(
      new Option('--drop-rate <p>', 'process this share, then drop the connection unanswered').argParser(
        probability,
      ),
    )
    .addOption(new Option('--latency <ms>', 'delay every answer').argParser(wholeNumber))
    .action(async (opts) => {
      const { receiverCommand } = await import('./commands/receiver.js');
      setExit(await receiverCommand(opts, io));
    });

  return program;
}

/** `--log-format json|pretty` of the long-running commands (SPEC §7): JSON lines by default. */
function logFormatOption(): Option {
  return new Option('--log-format <format>', 'one JSON object a line, or words for a person')
    .choices(LOG_FORMATS)
    .default('json');
}

/**
 * A whole number of 0 or more, for options where 0 means something: `model preview --limit 0` shows
 * only the columns and their types, `receiver --latency 0` no delay, `--retry-after 0` "retry now".
 */
function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
}

/**
 * A whole number of 1 or more, for `runs --limit` and `records --limit`: 0 would list nothing and
 * then say "no runs yet" or "has no records", which would be false.
 */
function countOfOneOrMore(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

function portNumber(value: string): number {
  const n = wholeNumber(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}
