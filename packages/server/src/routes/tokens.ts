/**
 * API tokens (admin tokens only). The token text is in the create answer and nowhere else.
 * Core audits creation and revocation itself, as this request's caller.
 */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.tokens;

export const tokenRoutes = [
  implement(op.createToken, async ({ body, coffer, reply }) => {
    const created = await coffer.tokens.create(body);
    reply.header('cache-control', 'no-store');
    return { ...toJson(created.info), token: created.token };
  }),
  implement(op.listTokens, async ({ query, coffer }) => ({ items: toJson(await coffer.tokens.list(query.tenant ? { tenant: query.tenant } : {})) })),
  implement(op.revokeToken, async ({ params, coffer }) => toJson(await coffer.tokens.revoke(params.id))),
];
