import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv, RouteContext } from '../api-env.js';
import { guard } from '../auth.js';
import { CreatedToken, CreateTokenBody, TokenList, TokenParams } from '../schemas.js';
import { BEARER_SECURITY, errorResponses, GUARDED, json } from './responses.js';

/** `/api/v1/tokens…`: API tokens, for admins. A token is shown once, when created. */
export function addTokenRoutes(app: OpenAPIHono<ApiEnv>, { sluice }: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/tokens',
      summary: 'The API tokens: names, roles and use (never the tokens themselves)',
      description: 'Every token on one page (`next_cursor` is null).',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'admin' })] as const,
      responses: { 200: json(TokenList, 'The tokens'), ...errorResponses(GUARDED) },
    }),
    async (c) => c.json({ items: await sluice.listTokens(), next_cursor: null }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/tokens',
      summary: 'Create a token; the answer is the only time it is shown',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'admin' })] as const,
      request: { body: { required: true, content: { 'application/json': { schema: CreateTokenBody } } } },
      responses: {
        201: json(CreatedToken, 'The token, shown this once'),
        ...errorResponses([...GUARDED, 409], { 409: 'A token of that name exists (code conflict)' }),
      },
    }),
    async (c) => {
      const { name, role } = c.req.valid('json');
      return c.json(await sluice.createToken(name, role), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/tokens/{name}',
      summary: 'Revoke a token: it stops working at once',
      security: BEARER_SECURITY,
      middleware: [guard(sluice, { role: 'admin' })] as const,
      request: { params: TokenParams },
      responses: { 204: { description: 'Revoked' }, ...errorResponses([...GUARDED, 404]) },
    }),
    async (c) => {
      await sluice.revokeToken(c.req.valid('param').name);
      return c.body(null, 204);
    },
  );
}
