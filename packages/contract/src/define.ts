/**
 * An operation of the API, as data: method, path, who may call it, the zod schemas of its
 * params, query, body and answer, and the error codes it can answer. The server implements each
 * one (validation, authorisation, response checks), the OpenAPI document is built from them,
 * and the SDK's types are generated from that document.
 */
import type { z } from 'zod';
import { ERROR_STATUS, type ApiErrorCode } from './errors.js';
import type { TENANT_SCOPES } from './schemas/common.js';

export type TenantScope = (typeof TENANT_SCOPES)[number];

export type Access =
  | { kind: 'public' }
  /** Any valid token, admin or tenant (for data that belongs to no tenant, like the provider catalog). */
  | { kind: 'authenticated' }
  /** Admin tokens only. */
  | { kind: 'admin' }
  /** A token of the `{tenant}` in the path holding `scope`, or an admin token. */
  | { kind: 'tenant'; scope: TenantScope }
  /** An admin token or a metrics token (`metrics:read`); no tenant token. */
  | { kind: 'metrics' };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** What a success looks like: a JSON body, a redirect, or a body of another media type. */
export type Success<R> =
  | { kind: 'json'; status: 200 | 201; schema: z.ZodType<R> }
  | { kind: 'redirect'; status: 302; description: string }
  | { kind: 'text'; status: 200; mediaType: string; description: string; schema: z.ZodType<R> };

export interface Operation<P = unknown, Q = unknown, B = unknown, R = unknown> {
  /** Unique, camelCase: what a generated client names the call. */
  operationId: string;
  method: HttpMethod;
  /** OpenAPI style: `/v1/tenants/{tenant}`. */
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Whether a body must be sent; when false, an empty body (or none) means `{}`. Default true. */
  bodyRequired?: boolean;
  success: Success<R>;
  /** Answers other than errors and the success (a 503 readiness body, say). */
  otherResponses?: Record<number, { description: string; schema: z.ZodType }>;
  /** The operation's own error codes; the ones every operation of its kind can answer are added (see {@link errorCodesOf}). */
  errors?: readonly ApiErrorCode[];
  /** Headers the answer carries that a client should know of. */
  responseHeaders?: Record<string, string>;
  /** Whether core records this call in the audit log before answering (so it fails closed with AUDIT_UNAVAILABLE). */
  audited?: boolean;
}

export type AnyOperation = Operation<any, any, any, any>;

export const TAGS = {
  tenants: 'Tenants: the unit of isolation; each has its own keys (admin tokens).',
  tokens: 'API tokens: admin, tenant (scoped to one tenant) and metrics tokens. A token is shown once, at creation.',
  secrets: 'Secrets of a tenant: versioned, encrypted at rest, masked in every answer but a reveal.',
  connections: 'Connections to third-party accounts and the OAuth connect flow. Only the credentials operation returns plaintext.',
  providers: 'The provider catalog: what Coffer knows how to connect to.',
  keys: 'Key status, rotation and rewrap (admin tokens).',
  audit: 'The tamper-evident audit log, its verification and signed checkpoints.',
  service: 'Health, readiness, metrics and this document.',
} as const;
export type Tag = keyof typeof TAGS;

/** Defines an operation with its types inferred from its schemas. */
export function defineOperation<P = undefined, Q = undefined, B = undefined, R = undefined>(op: Operation<P, Q, B, R>): Operation<P, Q, B, R> {
  return op;
}

/**
 * Every error code an operation can answer: its own, plus those any operation of its kind can:
 * validation of what it takes, parsing of a body, authentication and authorisation, the audit
 * log failing closed, a database or shutdown in the way.
 */
export function errorCodesOf(op: AnyOperation): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>(['INTERNAL', 'SHUTTING_DOWN']);
  if (op.operationId !== 'getHealth') codes.add('DATABASE_UNAVAILABLE');
  // Core refuses text it cannot store (a NUL character, say) with INVALID_ARGUMENT.
  if (op.params || op.query || op.body) for (const c of ['VALIDATION_FAILED', 'INVALID_ARGUMENT'] as const) codes.add(c);
  if (op.params) for (const c of ['BAD_URL', 'URI_TOO_LONG'] as const) codes.add(c);
  // A body sent to any method but GET is parsed (and refused when it is not JSON), even where
  // the operation takes none. A body that does not arrive as announced (a Content-Length it
  // does not match, a connection cut mid-body) is BAD_REQUEST.
  if (op.method !== 'GET') for (const c of ['INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'BAD_REQUEST'] as const) codes.add(c);
  // A refused caller is recorded in the audit log before the refusal is answered; if the log
  // cannot take it, the answer is AUDIT_UNAVAILABLE.
  if (op.access.kind !== 'public') for (const c of ['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'AUDIT_UNAVAILABLE'] as const) codes.add(c);
  // A token of another tenant gets the answer a missing tenant gets.
  if (op.access.kind === 'tenant' || op.path.includes('{tenant}')) codes.add('TENANT_NOT_FOUND');
  if (op.audited) codes.add('AUDIT_UNAVAILABLE');
  for (const c of op.errors ?? []) codes.add(c);
  return [...codes].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b] || a.localeCompare(b));
}

/** The error codes of an operation grouped by HTTP status. */
export function errorsByStatus(op: AnyOperation): Map<number, ApiErrorCode[]> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of errorCodesOf(op)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}
