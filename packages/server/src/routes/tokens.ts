/**
 * API tokens (admin tokens only). The token text is in the create response and nowhere else.
 * Core audits creation and revocation itself, as this request's caller.
 */
import { TENANT_SCOPES } from '@coffer/core';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { ApiToken as BaseApiToken, TenantId, toJson } from './schemas.js';

/** Tenant scopes, and `metrics:read`, which only a metrics token holds. */
const TokenScope = z.enum([...TENANT_SCOPES, 'metrics:read']);
const TokenKind = z.enum(['admin', 'tenant', 'metrics']);
const ApiToken = BaseApiToken.extend({ kind: TokenKind, scopes: z.array(TokenScope) });

export const tokenRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/tokens',
    tag: 'tokens',
    summary: 'Create an API token',
    description:
      'Admin tokens take no tenant or scopes. Tenant tokens need a tenant and at least one scope. Metrics tokens (for a Prometheus scraper) take no tenant and hold `metrics:read` only: they read /metrics and nothing else. `ttlSeconds` bounds the lifetime. The token is shown once.',
    access: { kind: 'admin' },
    body: z
      .object({
        kind: TokenKind,
        tenant: TenantId.optional(),
        scopes: z.array(TokenScope).max(20).optional(),
        description: z.string().max(200).optional(),
        ttlSeconds: z.number().int().min(60).max(10 * 365 * 86400).optional(),
      })
      .strict(),
    status: 201,
    response: ApiToken.extend({ token: z.string() }),
    errors: ['SCOPE_INVALID', 'TENANT_NOT_FOUND'],
    async handler({ body, coffer, reply }) {
      const created = await coffer.tokens.create(body);
      reply.header('cache-control', 'no-store');
      return { ...(toJson(created.info) as object), token: created.token } as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tokens',
    tag: 'tokens',
    summary: 'List API tokens (never the tokens themselves)',
    access: { kind: 'admin' },
    query: z.object({ tenant: TenantId.optional() }).strict(),
    response: z.object({ items: z.array(ApiToken) }),
    async handler({ query, coffer }) {
      return { items: toJson(await coffer.tokens.list(query.tenant ? { tenant: query.tenant } : {})) } as never;
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke an API token at once',
    access: { kind: 'admin' },
    params: z.object({ id: z.string().max(64) }),
    response: ApiToken,
    errors: ['TOKEN_NOT_FOUND'],
    async handler({ params, coffer }) {
      return toJson(await coffer.tokens.revoke(params.id)) as never;
    },
  }),
];
