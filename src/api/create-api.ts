import { OpenAPIHono } from '@hono/zod-openapi';
import { type Sluice, VERSION } from '../index.js';
import type { ApiEnv } from './api-env.js';
import { ApiError, errorAnswer, errorResponse } from './api-errors.js';
import { addAlertRoutes } from './routes/alert-routes.js';
import { addMeRoute } from './routes/me-route.js';
import { addRunRoutes } from './routes/run-routes.js';
import { addServiceRoutes } from './routes/service-routes.js';
import { addSyncRoutes } from './routes/sync-routes.js';
import { addTokenRoutes } from './routes/token-routes.js';
import type { ServeMetrics } from './serve-metrics.js';
import { addWebUi } from './web-ui.js';

export interface ApiOptions {
  sluice: Sluice;
  /** Served at `/metrics` when given. */
  metrics?: ServeMetrics;
  /** `/metrics` without a token (`serve --metrics-public`); default false: a viewer token. */
  metricsPublic?: boolean;
  /** How often `/runs/{id}/events` sends progress (default 1000 ms). */
  sseIntervalMs?: number;
  /**
   * The built web UI's folder (web-ui.ts's DEFAULT_WEB_ROOT for the package's own), served at `/`
   * with index.html for page URLs; none: no UI, `/` is a 404 like any unknown route.
   */
  webRoot?: string;
  /** Told of every error answered with a 500 (to log it); the client sees no detail of it. */
  onInternalError?: (error: unknown) => void;
}

/** Where the OpenAPI 3.1 document is served (public). */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/**
 * The HTTP API of `sluice serve` (SPEC §6): JSON under /api/v1, every route declared with zod
 * schemas that both check requests and make the OpenAPI 3.1 document. Serve it with
 * `@hono/node-server`'s `serve({ fetch: app.fetch })`.
 */
export function createApi(options: ApiOptions): OpenAPIHono<ApiEnv> {
  const { sluice } = options;
  const app = new OpenAPIHono<ApiEnv>({
    // A request that fails its schema (params, query, body) is malformed: 400 with what is wrong.
    defaultHook: (result) => {
      if (!result.success) {
        const message = result.error.issues
          .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
          .join('; ');
        throw new ApiError(400, 'invalid_request', message);
      }
    },
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token from `sluice token create NAME --role viewer|operator|admin`.',
  });

  addServiceRoutes(app, { sluice, metrics: options.metrics, metricsPublic: options.metricsPublic ?? false });
  addSyncRoutes(app, { sluice });
  addRunRoutes(app, { sluice, sseIntervalMs: options.sseIntervalMs ?? 1000 });
  addTokenRoutes(app, { sluice });
  addAlertRoutes(app, { sluice });
  addMeRoute(app, { sluice });

  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Sluice',
      version: VERSION,
      description:
        'The HTTP API of `sluice serve`. Every error is `{"error": {"code", "message"}}`. Lists are `{"items", "next_cursor"}`: pass `next_cursor` back as `cursor` for the next page.',
    },
  });

  if (options.webRoot !== undefined) addWebUi(app, options.webRoot);

  app.notFound((c) =>
    errorResponse(c, { status: 404, code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }),
  );
  app.onError((error, c) => {
    const answer = errorAnswer(error, c.get('usage') ?? 'malformed');
    if (answer.status === 500) options.onInternalError?.(error);
    return errorResponse(c, answer);
  });
  return app;
}
