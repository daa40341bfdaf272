import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { guard } from '../auth.js';
import {
  KeyHistory,
  KeyParams,
  PageQuery,
  RunQueued,
  RunRequestBody,
  SyncDocument,
  SyncList,
  SyncParams,
} from '../schemas.js';
import { BEARER_SECURITY, errorResponses, GUARDED, json } from './responses.js';

/** `/api/v1/syncs…`: the workspace's syncs, running one, and a key's history. */
export function addSyncRoutes(app: OpenAPIHono<ApiEnv>, { sluice }: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/syncs',
      summary: 'Every sync: name, model, object, destination, schedule, next run time, last run',
      description:
        'Every sync of the workspace on one page, in the order of sluice.yaml (`next_cursor` is null).',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      responses: { 200: json(SyncList, 'The syncs'), ...errorResponses(GUARDED) },
    }),
    async (c) => c.json({ items: await sluice.syncs(), next_cursor: null }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/syncs/{name}',
      summary: 'One sync, with its mappings (secrets never included)',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: SyncParams },
      responses: { 200: json(SyncDocument, 'The sync'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => c.json(await sluice.describeSync(c.req.valid('param').name), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/syncs/{name}/runs',
      summary: 'Queue a run of the sync',
      description:
        'The body is optional: no body at all is `{}`, a real run. A dry run is kept in the history with `dry_run: true` and changes no key state.',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'operator', usage: 'refused' })] as const,
      request: {
        params: SyncParams,
        body: { required: false, content: { 'application/json': { schema: RunRequestBody } } },
      },
      responses: {
        202: json(RunQueued, 'The run is queued'),
        ...errorResponses([...GUARDED, 404, 409, 422], {
          409: 'The sync is already running or waiting to run (code sync_locked)',
          422: 'The workspace refuses it, e.g. a full resync of an event sync (code usage)',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const run = await sluice.requestRun(c.req.valid('param').name, {
        ...(body.dry_run === undefined ? {} : { dryRun: body.dry_run }),
        ...(body.full_resync === undefined ? {} : { fullResync: body.full_resync }),
        ...(body.retry_abandoned === undefined ? {} : { retryAbandoned: body.retry_abandoned }),
      });
      return c.json({ run_id: run.run_id, status: 'queued' as const }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/syncs/{name}/keys/{key}',
      summary: 'One key: its state and every record of it, newest first',
      description:
        'The state is what was delivered and what is pending; `history` lists every message sent for the key (and why others were not), a page at a time.',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { params: KeyParams, query: PageQuery },
      responses: { 200: json(KeyHistory, 'The key'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      const { name, key } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const history = await sluice.keyHistory(name, key, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json(history, 200);
    },
  );
}
