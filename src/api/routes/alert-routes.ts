import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { guard } from '../auth.js';
import { AlertList, AlertsQuery } from '../schemas.js';
import { BEARER_SECURITY, errorResponses, GUARDED, json } from './responses.js';

/** `/api/v1/alerts`: alerts raised and resolved (SPEC §7), and how each notify target's deliveries go. */
export function addAlertRoutes(app: OpenAPIHono<ApiEnv>, { sluice }: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/alerts',
      summary: 'Alerts raised and resolved, open ones first; and the notify targets, failing ones flagged',
      description:
        'Open alerts first, then by the time they were raised, newest first. `targets` lists every notify target of sluice.yaml with its deliveries (never its URL), whatever page this is.',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      request: { query: AlertsQuery },
      responses: { 200: json(AlertList, 'A page of alerts'), ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      const { sync, state, limit, cursor } = c.req.valid('query');
      const listing = await sluice.alerts({
        ...(sync === undefined ? {} : { sync }),
        ...(state === undefined ? {} : { state }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json(listing, 200);
    },
  );
}
