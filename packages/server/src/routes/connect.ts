/**
 * The OAuth authorization code flow, as the browser sees it. An application asks for a connect
 * link (tenant token); the user opens it (no token: the link is the capability, single use,
 * ten minutes); the provider sends the browser back to the callback, and from there to the
 * application's return URL with the outcome in `coffer_status` (and `coffer_connection_id` or
 * `coffer_error`).
 */
import type { FastifyRequest } from 'fastify';
import { OAUTH_CALLBACK_PATH, operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const COOKIE = 'coffer_connect';
export const CALLBACK_PATH = OAUTH_CALLBACK_PATH;
const op = operations.connect;

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
  implement(
    op.createConnectSession,
    async ({ params, body, coffer, reply, publicUrl }) => {
      // Core records the session (never the link) with the session itself: if it cannot, no link is made.
      const session = await coffer.connect.create(params.tenant, body, { publicOrigin: publicUrl });
      reply.header('cache-control', 'no-store');
      return toJson({ id: session.id, url: `${publicUrl}/v1/connect/${session.linkToken}`, expiresAt: session.expiresAt });
    },
    { auditAction: 'connect.session.create' },
  ),
  implement(op.getReturnOrigins, async ({ params, coffer }) => ({ origins: await coffer.connect.returnOrigins(params.tenant) })),
  implement(
    op.setReturnOrigins,
    async ({ params, body, coffer }) => {
      const origins = await coffer.connect.setReturnOrigins(params.tenant, body.origins);
      return { origins: origins.length === 0 ? null : origins };
    },
    { auditAction: 'tenant.return_origins.update' },
  ),
  implement(op.openConnectLink, async ({ params, coffer, reply, publicUrl }) => {
    const started = await coffer.connect.start(params.link, `${publicUrl}${CALLBACK_PATH}`);
    const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
    reply.header('set-cookie', `${COOKIE}=${started.binding}; Path=${cookiePath(publicUrl)}; Max-Age=600; HttpOnly; SameSite=Lax${secure}`);
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    return { redirect: started.authorizationUrl };
  }),
  implement(op.completeOAuth, async ({ request, coffer, reply, publicUrl }) => {
    const url = new URL(request.url, 'http://callback.invalid');
    // Core records the outcome as the connect link (`connect:<session id>`), from this request's address.
    const outcome = await coffer.connect.complete(url, cookieValue(request, COOKIE), `${publicUrl}${CALLBACK_PATH}`);
    reply.header('set-cookie', `${COOKIE}=; Path=${cookiePath(publicUrl)}; Max-Age=0; HttpOnly; SameSite=Lax`);
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    return { redirect: outcome.redirectTo };
  }),
];
