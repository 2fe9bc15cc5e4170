/**
 * The OAuth authorization code flow, as the browser sees it. An application asks for a connect
 * link (tenant token); the user opens it (no token: the link is the capability, single use,
 * ten minutes); the provider sends the browser back to the callback, and from there to the
 * application's return URL with the outcome in `coffer_status` (and `coffer_connection_id` or
 * `coffer_error`).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { ProviderId, TenantParams, toJson } from './schemas.js';

const COOKIE = 'coffer_connect';
export const CALLBACK_PATH = '/v1/oauth/callback';

/** The cookie's path: the callback as the browser sees it, under a public URL that may have a path prefix. */
const cookiePath = (publicUrl: string) => `${new URL(publicUrl).pathname.replace(/\/+$/, '')}${CALLBACK_PATH}`;

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return rest.join('=');
  }
  return undefined;
}

export const connectRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/connect/sessions',
    tag: 'connections',
    summary: 'Start connecting an OAuth account: a single-use connect link',
    description:
      "Send the user to `url`. It is valid once, for ten minutes. `returnUrl` must be on the tenant's allowed return origins (set by an admin; without any, only Coffer's own public origin). At the end the browser returns to `returnUrl` with `coffer_status=connected&coffer_connection_id=…` or `coffer_status=error&coffer_error=…`. With `connectionId`, the flow re-authorises that connection instead of creating one.",
    auditAction: 'connect.session.create',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: TenantParams,
    body: z
      .object({
        provider: ProviderId,
        displayName: z.string().max(200).optional(),
        config: z.record(z.string().max(64), z.string().max(8192)).optional(),
        connectionId: z.string().max(64).optional(),
        returnUrl: z.string().max(2000),
        scopes: z.array(z.string().max(200)).max(100).optional(),
      })
      .strict(),
    status: 201,
    response: z.object({ id: z.string(), url: z.string(), expiresAt: z.string() }),
    errors: ['PROVIDER_NOT_FOUND', 'CONNECTION_INVALID', 'OAUTH_CLIENT_MISSING', 'RETURN_URL_NOT_ALLOWED', 'CONNECTION_FIELD_IMMUTABLE', 'OAUTH_ORIGIN_NOT_ALLOWED', 'PROVIDER_HOST_NOT_ALLOWED'],
    async handler({ params, body, coffer, reply, publicUrl }) {
      // Core records the session (never the link) with the session itself: if it cannot, no link is made.
      const session = await coffer.connect.create(params.tenant, body as never, { publicOrigin: publicUrl });
      reply.header('cache-control', 'no-store');
      return toJson({ id: session.id, url: `${publicUrl}/v1/connect/${session.linkToken}`, expiresAt: session.expiresAt }) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/connect/return-origins',
    tag: 'connections',
    summary: "Origins the tenant's connect sessions may return to",
    description: 'Null when none is set: then only Coffer\'s own public origin is allowed.',
    access: { kind: 'admin' },
    params: TenantParams,
    response: z.object({ origins: z.array(z.string()).nullable() }),
    errors: ['TENANT_NOT_FOUND'],
    async handler({ params, coffer }) {
      return { origins: await coffer.connect.returnOrigins(params.tenant) };
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/tenants/:tenant/connect/return-origins',
    tag: 'connections',
    summary: "Set the origins the tenant's connect sessions may return to (admin)",
    description: 'Exact origins (`https://app.example.com`; http only on loopback), at most 100. An empty list clears them: only Coffer\'s own public origin is then allowed.',
    auditAction: 'tenant.return_origins.update',
    access: { kind: 'admin' },
    params: TenantParams,
    body: z.object({ origins: z.array(z.string().max(300)).max(100) }).strict(),
    response: z.object({ origins: z.array(z.string()).nullable() }),
    errors: ['TENANT_NOT_FOUND', 'INVALID_ARGUMENT'],
    async handler({ params, body, coffer }) {
      const origins = await coffer.connect.setReturnOrigins(params.tenant, body.origins);
      return { origins: origins.length === 0 ? null : origins };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/connect/:link',
    tag: 'connections',
    summary: 'Open a connect link (in the browser): redirects to the provider',
    description: 'Sets a short-lived cookie that binds the flow to this browser. A used or expired link answers 400 CONNECT_SESSION_INVALID.',
    access: { kind: 'public' },
    params: z.object({ link: z.string().max(64) }),
    response: z.null(),
    errors: ['CONNECT_SESSION_INVALID'],
    async handler({ params, coffer, reply, publicUrl }) {
      const started = await coffer.connect.start(params.link, `${publicUrl}${CALLBACK_PATH}`);
      const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
      reply.header('set-cookie', `${COOKIE}=${started.binding}; Path=${cookiePath(publicUrl)}; Max-Age=600; HttpOnly; SameSite=Lax${secure}`);
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      return reply.redirect(started.authorizationUrl, 302) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: CALLBACK_PATH,
    tag: 'connections',
    summary: 'OAuth redirect URI: finishes the flow, then returns the browser to the application',
    description: 'Register `<public URL>/v1/oauth/callback` as the redirect URI of your OAuth client at the provider.',
    access: { kind: 'public' },
    query: z.record(z.string().max(64), z.union([z.string().max(4096), z.array(z.string().max(4096))])),
    response: z.null(),
    errors: ['CONNECT_SESSION_INVALID'],
    async handler({ request, coffer, reply, publicUrl }) {
      const url = new URL(request.url, 'http://callback.invalid');
      // Core records the outcome as the connect link (`connect:<session id>`), from this request's address.
      const outcome = await coffer.connect.complete(url, cookieValue(request, COOKIE), `${publicUrl}${CALLBACK_PATH}`);
      reply.header('set-cookie', `${COOKIE}=; Path=${cookiePath(publicUrl)}; Max-Age=0; HttpOnly; SameSite=Lax`);
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      return reply.redirect(outcome.redirectTo, 302) as never;
    },
  }),
];
