import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultInjector } from './fault-injector.js';
import { JsonlSink } from './jsonl-sink.js';
import { type IngestKind, parseIngestRequest } from './parse-ingest-request.js';
import { readRequestBody } from './read-request-body.js';
import { ReceiverState } from './receiver-state.js';
import type { Receiver, ReceiverOptions } from './receiver-types.js';
import { isMessageType } from './validate-message.js';

export type { FaultSettings } from './fault-injector.js';
export { LIMITS } from './parse-ingest-request.js';
export type { Discard, ReceivedMessage, Receiver, ReceiverOptions, ReceiverStats } from './receiver-types.js';
export { DISCARD_REASONS } from './validate-message.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SUCCESS_BODY = '{"success":true}';
/** How long `close()` lets in-flight answers finish before cutting the remaining connections. */
const CLOSE_GRACE_MS = 1_000;

/** `POST /v1/batch`, `/v1/import` (legacy alias, §1 "/v1/import") and the six single calls (§1 "endpoints"). */
function ingestKind(path: string): IngestKind | undefined {
  if (!path.startsWith('/v1/')) return undefined;
  const name = path.slice(4);
  if (name === 'batch' || name === 'import') return 'batch';
  return isMessageType(name) ? name : undefined;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function failure(code: string, message: string): string {
  return JSON.stringify({ success: false, code, message });
}

/**
 * Starts a local endpoint that speaks Segment's HTTP Tracking API and enforces its rules
 * (segment-contract.md §1–4, following the plan of §7): whole-request 400s, per-message discards
 * answered 200, stamping with clock-skew correction, global messageId dedup, and seeded fault
 * injection for tests. Also serves `GET /health`, `GET /stats` and `GET /v1/messages?limit=N`.
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const state = new ReceiverState({
    writeKeys: options.writeKeys,
    keepMessages: options.keepMessages ?? true,
    dedupWindowMs: options.dedupWindowMs ?? DAY_MS,
  });
  const faults = new FaultInjector(options.faults);
  const sink = options.outFile === undefined ? undefined : await JsonlSink.open(options.outFile);

  async function handleIngest(kind: IngestKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Counters are read fresh after each await: a reset() meanwhile replaces them.
    state.counters.requests++;
    // Decided when the request arrives, so the sequence follows request order for a given seed.
    const fault = faults.decide();
    const latency = faults.latencyMs;
    const raw = await readRequestBody(req);
    if (fault === 'fail') {
      state.counters.faults.failed++;
      if (latency > 0) await sleep(latency);
      send(
        res,
        faults.failStatus,
        failure('injected_failure', 'Injected failure (receiver fault injection)'),
      );
      return;
    }
    if (fault === 'rate_limit') {
      state.counters.faults.rateLimited++;
      if (latency > 0) await sleep(latency);
      // §1 "429": both headers are documented as "number of seconds after which you can retry".
      const seconds = String(faults.retryAfterSeconds);
      send(res, 429, failure('rate_limited', 'Too many requests'), {
        'retry-after': seconds,
        'x-ratelimit-reset': seconds,
      });
      return;
    }
    const parsed = parseIngestRequest(
      kind,
      {
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        contentEncoding: req.headers['content-encoding'],
      },
      raw,
    );
    let status = 200;
    let body = SUCCESS_BODY;
    if (parsed.ok) {
      const accepted = state.ingest(parsed, kind === 'batch', Date.now());
      if (sink !== undefined) await sink.append(accepted);
    } else {
      state.counters.rejectedRequests++;
      status = 400;
      body = failure(parsed.code, parsed.message);
    }
    if (latency > 0) await sleep(latency);
    if (fault === 'drop') {
      // The answer is lost after the work was done: the sender cannot know its batch was stored.
      state.counters.faults.dropped++;
      req.socket.destroy();
      return;
    }
    send(res, status, body);
  }

  function handleGet(path: string, query: URLSearchParams, res: ServerResponse): void {
    if (path === '/health') {
      send(res, 200, '{"ok":true}');
    } else if (path === '/stats') {
      send(res, 200, JSON.stringify(state.snapshot()));
    } else if (path === '/v1/messages' && !state.keepsMessages) {
      send(res, 404, failure('messages_not_kept', 'The receiver was started without keeping messages'));
    } else if (path === '/v1/messages') {
      const limit = Number.parseInt(query.get('limit') ?? '100', 10);
      const messages = state.recent(Number.isFinite(limit) && limit >= 0 ? limit : 100);
      send(res, 200, JSON.stringify({ messages }));
    } else {
      send(res, 404, failure('not_found', `No route for GET ${path}`));
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const kind = ingestKind(path);
    if (req.method === 'POST' && kind !== undefined) {
      handleIngest(kind, req, res).catch((error: unknown) => {
        // A client that aborted mid-body has no one left to answer; anything else is our bug.
        if (res.headersSent || req.destroyed) return;
        send(res, 500, failure('internal_error', (error as Error).message));
      });
      return;
    }
    // Drain any body so the keep-alive connection stays usable.
    req.resume();
    if (kind !== undefined) {
      send(res, 405, failure('method_not_allowed', `Use POST ${path}`), { allow: 'POST' });
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      handleGet(path, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), res);
    } else {
      send(res, 404, failure('not_found', `No route for ${req.method} ${path}`));
    }
  }

  const server = createServer(handle);
  // Keep connections open well beyond a sender's pauses between batches (Node's default is 5 s).
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  const host = options.host ?? '127.0.0.1';
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    await sink?.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    messages: () => state.messages(),
    discards: () => state.discards(),
    stats: () => state.snapshot(),
    byMessageId: (id) => state.byMessageId(id),
    setFaults: (f) => faults.configure(f),
    reset: () => {
      state.reset();
      faults.restart();
    },
    close: async () => {
      await closeServer(server);
      await sink?.close();
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
