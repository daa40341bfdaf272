import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApi } from '../../api/create-api.js';
import { ServeMetrics } from '../../api/serve-metrics.js';
import { DEFAULT_WEB_ROOT } from '../../api/web-ui.js';
import { type Sluice, SluiceError, VERSION } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { type LogFormat, logWriter } from '../log-lines.js';
import type { Io } from '../output.js';

export interface ServeOptions {
  host: string;
  port: number;
  concurrency: number;
  metricsPublic: boolean;
  logFormat: LogFormat;
}

/** The name of the admin token the first start on a loopback host makes. */
const FIRST_TOKEN = 'admin';

/**
 * `sluice serve` (SPEC §5, §6): the HTTP API, the scheduler and a worker in one process — on SQLite
 * state every run happens here; on PostgreSQL state the schedules fire once and runs are shared with
 * every other `serve` and `worker`. Runs until SIGTERM or SIGINT: then it stops accepting
 * connections and work, lets its runs finish the batches in flight, and exits 0 (a second signal
 * abandons those batches; the next run resends them under the same messageIds).
 */
export async function serveCommand(sluice: Sluice, options: ServeOptions, io: Io): Promise<number> {
  const log = logWriter(io, options.logFormat);
  await ensureToken(sluice, options.host, io, log);
  const metrics = new ServeMetrics({ queueDepth: () => service.queueDepth() });
  const service = await sluice.startService({
    concurrency: options.concurrency,
    log: (event) => {
      metrics.observe(event);
      log(event);
    },
    onExchange: (sync, exchange) => metrics.observeExchange(sync, exchange),
  });
  const app = createApi({
    sluice,
    metrics,
    metricsPublic: options.metricsPublic,
    // The web UI at `/`, as `npm run build` made it into the package's dist/web.
    webRoot: DEFAULT_WEB_ROOT,
    onInternalError: (error) =>
      log({ event: 'api_error', message: error instanceof Error ? error.message : String(error) }),
  });
  let server: Server;
  try {
    server = await listen(app.fetch, options.host, options.port);
  } catch (error) {
    await service.stop({ hard: true });
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  log({ event: 'serve_started', url: `http://${urlHost(options.host)}:${port}`, version: VERSION });

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      const hard = stopping;
      stopping = true;
      log({ event: 'signal', signal, hard });
      if (hard) {
        void service.stop({ hard: true });
        return;
      }
      // No new connections or work; runs finish their batches; then open streams are closed.
      server.close();
      service.stop().then(done, done);
    };
    const done = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      server.closeAllConnections();
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  log({ event: 'serve_stopped' });
  return EXIT.ok;
}

/**
 * SPEC §6: with no token at all, the first start on a loopback host makes an admin token and prints
 * it once (`admin token: …` on its own line, on stdout); on any other host, serving an API nobody
 * can call — or anybody could — is refused.
 */
async function ensureToken(
  sluice: Sluice,
  host: string,
  io: Io,
  log: (event: { event: string } & Record<string, unknown>) => void,
): Promise<void> {
  if (await sluice.hasTokens()) return;
  if (!isLoopback(host)) {
    throw new SluiceError(
      'usage',
      `sluice serve on ${host} is reachable from other machines, and no API token exists yet: create one first with sluice token create NAME --role admin (on 127.0.0.1 the first start makes one for you)`,
    );
  }
  const created = await sluice.createToken(FIRST_TOKEN, 'admin');
  io.stdout.write(`admin token: ${created.token}\n`);
  log({
    event: 'admin_token_created',
    name: created.name,
    message: 'printed once on stdout; keep it — sluice token list shows only names',
  });
}

/** Whether `host` is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Serves `fetch` on host:port; rejects when the port is taken or the address is not ours. */
function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Without createServer options, @hono/node-server serves HTTP/1.1 with node:http.
    const server = serve({ fetch, hostname: host, port }, () => resolve(server)) as Server;
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new SluiceError(
          'usage',
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is taken: stop what listens there, or choose another with --port`
            : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      ),
    );
  });
}
