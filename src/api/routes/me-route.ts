import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { guard } from '../auth.js';
import { Caller } from '../schemas.js';
import { BEARER_SECURITY, errorResponses, GUARDED, json } from './responses.js';

/** `/api/v1/me`: who the token is, so a client (the web UI) shows only what the role may do. */
export function addMeRoute(app: OpenAPIHono<ApiEnv>, { sluice }: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/me',
      summary: "The calling token's name and role",
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'viewer' })] as const,
      responses: { 200: json(Caller, 'The caller'), ...errorResponses(GUARDED) },
    }),
    async (c) => {
      const { name, role } = c.get('caller');
      return c.json({ name, role }, 200);
    },
  );
}
