import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { VERSION } from '../../index.js';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { guard } from '../auth.js';
import { Health } from '../schemas.js';
import type { ServeMetrics } from '../serve-metrics.js';
import { BEARER_SECURITY, errorResponses, json } from './responses.js';

/** `/api/v1/health` (public) and `/metrics` (a viewer token unless public). */
export function addServiceRoutes(
  app: OpenAPIHono<ApiEnv>,
  { sluice, metrics, metricsPublic }: RouteContext & { metrics?: ServeMetrics; metricsPublic: boolean },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/health',
      summary: 'Whether this process can reach its state store',
      middleware: [guard(sluice, { role: 'public' })] as const,
      responses: {
        200: json(Health, 'Serving'),
        503: json(Health, 'The state store is unreachable'),
      },
    }),
    async (c) => {
      try {
        await sluice.health();
        return c.json({ status: 'ok' as const, version: VERSION }, 200);
      } catch {
        // Public: say what is wrong, never the store's address or its error text.
        return c.json(
          {
            status: 'unavailable' as const,
            version: VERSION,
            error: { code: 'state_error', message: 'the state store is unreachable' },
          },
          503,
        );
      }
    },
  );

  if (metrics === undefined) return;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      summary:
        'Prometheus metrics: runs by status, rows by outcome, run durations, destination requests, queue depth',
      ...(metricsPublic ? {} : { security: BEARER_SECURITY }),
      middleware: [guard(sluice, { role: metricsPublic ? 'public' : 'viewer' })] as const,
      responses: {
        200: {
          description: 'The Prometheus text format',
          content: { 'text/plain': { schema: z.string() } },
        },
        ...errorResponses(metricsPublic ? [500] : [401, 403, 500, 503]),
      },
    }),
    async (c) => c.text(await metrics.text(), 200, { 'Content-Type': metrics.contentType }),
  );
}
