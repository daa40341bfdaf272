import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { ApiError } from '../api-errors.js';
import { guard } from '../auth.js';
import {
  ExchangeList,
  PageQuery,
  RecordList,
  RecordsQuery,
  RunDocument,
  RunList,
  RunParams,
  RunsQuery,
} from '../schemas.js';
import { BEARER_SECURITY, errorResponses, GUARDED, json } from './responses.js';
import { streamRunEvents } from './run-events.js';

/**
 * `/api/v1/runs…`: run history, one run (live), its events, cancelling it, its records, and the
 * inspector's HTTP exchanges.
 */
export function addRunRoutes(
  app: OpenAPIHono<ApiEnv>,
  { sluice, sseIntervalMs }: RouteContext & { sseIntervalMs: number },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/runs',
      summary: 'Run history, newest first',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { query: RunsQuery },
      responses: { 200: json(RunList, 'A page of runs'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      const { sync, status, limit, cursor } = c.req.valid('query');
      const page = await sluice.runs({
        ...(sync === undefined ? {} : { sync }),
        ...(status === undefined ? {} : { status }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/runs/{id}',
      summary: 'One run: the summary the CLI prints, with live counts while it runs',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: RunParams },
      responses: { 200: json(RunDocument, 'The run'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => c.json(await knownRun(sluice, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/runs/{id}/events',
      summary: 'Server-Sent Events: progress counts while the run goes, then its summary',
      description: `While the run is queued or running, \`event: progress\` with its counts (a RunCounts JSON) as \`data\` about every ${sseIntervalMs} ms; then one \`event: summary\` with the run (a Run JSON), and the stream ends. Should reading the run fail part way, one \`event: error\` carries an Error JSON instead, and the stream ends.`,
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: RunParams },
      responses: {
        200: {
          description: 'The event stream',
          content: {
            'text/event-stream': {
              schema: z.string().openapi({ example: 'event: progress\ndata: {"extracted":10,…}\n\n' }),
            },
          },
        },
        ...errorResponses([...GUARDED, 404]),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await knownRun(sluice, id);
      return streamRunEvents(c, sluice, id, sseIntervalMs);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/runs/{id}/cancel',
      summary: 'Stop the run gracefully (as Ctrl-C): it ends failed with code interrupted',
      description:
        'Batches in flight finish and are recorded, no new batch starts; the run stops within seconds. The answer is the run as it is when the cancel is asked.',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'operator' })] as const,
      request: { params: RunParams },
      responses: {
        202: json(RunDocument, 'The cancel is under way'),
        ...errorResponses([...GUARDED, 404, 409], {
          409: 'The run has already finished (code run_finished)',
        }),
      },
    }),
    async (c) => c.json(await sluice.cancelRun(c.req.valid('param').id), 202),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/runs/{id}/records',
      summary: "The run's per-row outcomes, as sluice records prints them",
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: RunParams, query: RecordsQuery },
      responses: { 200: json(RecordList, 'A page of records'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      const { status, key, reason, limit, cursor } = c.req.valid('query');
      const page = await sluice.records(c.req.valid('param').id, {
        ...(status === undefined ? {} : { status }),
        ...(key === undefined ? {} : { key }),
        ...(reason === undefined ? {} : { reason }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/runs/{id}/exchanges',
      summary:
        "The API inspector: the run's HTTP exchanges with the destination, as sluice inspect prints them",
      description:
        'Every failed exchange and a sample of the successful ones, in the order they happened; secrets redacted, bodies cut with every messageId kept.',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: RunParams, query: PageQuery },
      responses: { 200: json(ExchangeList, 'A page of exchanges'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await sluice.exchanges(c.req.valid('param').id, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json(page, 200);
    },
  );
}

async function knownRun(sluice: RouteContext['sluice'], id: string) {
  const run = await sluice.getRun(id);
  if (run === null) throw new ApiError(404, 'not_found', `no run "${id}"`);
  return run;
}
