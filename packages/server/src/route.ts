/**
 * Each route implements one operation of the API contract (`@coffer/contract`): the contract
 * says the method, path, access, schemas and error codes; the route adds the handler.
 * `registerRoute` installs it in Fastify with validation and authorisation in front and, in
 * check mode (tests), checks every answer against the contract.
 *
 * Authentication and authorisation run in the route's onRequest hook, before the body is read:
 * a caller without a valid token never reaches the JSON parser (it gets 401 or 429, never a
 * parser's 400 or 413), so an anonymous client cannot make the server buffer and parse bodies.
 */
import type { AuditAction, Coffer, Principal } from '@coffer/core';
import { CofferError } from '@coffer/core';
import type { Access, AnyOperation, Operation } from '@coffer/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preParsingHookHandler } from 'fastify';
import { z } from 'zod';
import { answerSchema, answerSerializer } from './answer-serializer.js';
import { checkAnswer, ContractViolation } from './contract-check.js';
import { declaredPath } from './declared-path.js';
import { HttpError } from './http-errors.js';
import type { AuditContext } from './audit-context.js';

export type { Access };

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The authenticated caller; undefined on public routes. */
  readonly principal: Principal | undefined;
  readonly audit: AuditContext;
  /** The vault acting as the caller (`coffer.as(actor)`): core audits what the handler does. */
  readonly coffer: Coffer;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The service's public base URL, without a trailing slash. */
  readonly publicUrl: string;
}

/** A redirect answer (operations whose success is a 302). */
export interface Redirect {
  readonly redirect: string;
}

/** What a handler returns: the success body (JSON or text), or where to redirect. */
export type Answer<R> = [R] extends [undefined] ? Redirect : R;

export interface RouteDefinition<P = unknown, Q = unknown, B = unknown, R = unknown> {
  readonly operation: Operation<P, Q, B, R>;
  readonly method: Operation['method'];
  /** Fastify path, `:param` style. */
  readonly url: string;
  readonly access: Access;
  readonly params: Operation<P, Q, B, R>['params'];
  readonly query: Operation<P, Q, B, R>['query'];
  readonly body: Operation<P, Q, B, R>['body'];
  /** The audit action recorded when a caller is refused here (default `access.denied`). */
  readonly auditAction?: AuditAction;
  handler(ctx: RouteContext<P, Q, B>): Promise<Answer<R>>;
}

/** Implements a contract operation; the handler's types come from the operation's schemas. */
export function implement<P, Q, B, R>(
  operation: Operation<P, Q, B, R>,
  handler: (ctx: RouteContext<P, Q, B>) => Promise<Answer<R>>,
  options: { auditAction?: AuditAction } = {},
): RouteDefinition<P, Q, B, R> {
  return {
    operation,
    method: operation.method,
    url: operation.path.replace(/\{([A-Za-z]+)\}/g, ':$1'),
    access: operation.access,
    params: operation.params,
    query: operation.query,
    body: operation.body,
    ...(options.auditAction ? { auditAction: options.auditAction } : {}),
    handler,
  };
}

function parse<T>(schema: z.ZodType<T> | undefined, input: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // Name the field and the rule, never the received value: it may be a secret. Unknown keys
  // are caller-chosen text too, so they are not repeated either.
  const issue = result.error.issues[0]!;
  const segments = declaredPath(schema, issue.path);
  const path = segments.length > 0 ? `${where}.${segments.join('.')}` : where;
  const message = issue.code === 'unrecognized_keys' ? 'has a field this route does not take' : issue.message;
  throw new HttpError('VALIDATION_FAILED', `${path}: ${message}`);
}

export interface RouteDeps {
  coffer: Coffer;
  /** The service's public base URL (for OAuth redirect URIs and connect links). */
  publicUrl(request: FastifyRequest): string;
  authenticate(request: FastifyRequest): Promise<Principal>;
  auditContext(request: FastifyRequest, principal: Principal | undefined): AuditContext;
  /** Whether the server has begun to close. */
  closing(): boolean;
}

/**
 * Checks that `principal` may act here. A tenant token asking about another tenant gets the
 * same answer as for a tenant that does not exist, so it learns nothing about other tenants.
 */
export function authorize(access: Access, principal: Principal, tenantParam: string | undefined): void {
  if (principal.kind === 'admin') return;
  // A metrics token reads the metrics and nothing else, and service-wide metrics are no tenant's.
  if (principal.kind === 'metrics') {
    if (access.kind === 'metrics') return;
    throw new CofferError('FORBIDDEN', 'A metrics token may only read /metrics.');
  }
  if (access.kind === 'metrics') throw new CofferError('FORBIDDEN', 'Metrics need an admin or metrics token.');
  // Past this point only a tenant token of a tenant acts (fail closed on anything else).
  if (principal.kind !== 'tenant' || principal.tenant === null) throw new CofferError('FORBIDDEN', 'This token may not do this.');
  if (access.kind === 'admin') throw new CofferError('FORBIDDEN', 'This operation needs an admin token.');
  if (access.kind === 'tenant') {
    if (tenantParam !== principal.tenant) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenantParam ?? ''}" does not exist.`);
    if (!principal.scopes.has(access.scope)) throw new CofferError('FORBIDDEN', `This operation needs the ${access.scope} scope.`);
  }
}

/** Principals established by the onRequest hook, for the handler of the same request. */
const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal of a request that passed {@link guard}. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/**
 * The onRequest hook that authenticates and authorises a request before its body is read. A
 * refusal is audited against the caller's own tenant: the event names the route, not what the
 * other tenant holds.
 */
export function guard(deps: Pick<RouteDeps, 'authenticate' | 'auditContext' | 'closing'>, route: { access: Access; method: string; url: string; auditAction?: AuditAction }): onRequestHookHandler {
  return async (request, reply) => {
    // A request that arrives while the server closes (on a kept-alive connection) is refused in
    // Coffer's error shape. Checked here, in the hook every route has, not in one more hook per request.
    if (deps.closing()) {
      reply.header('connection', 'close');
      throw new HttpError('SHUTTING_DOWN', 'The server is shutting down: retry, another replica will answer.');
    }
    if (route.access.kind === 'public') return;
    const principal = await deps.authenticate(request);
    const rawParams = request.params as Record<string, string>;
    try {
      authorize(route.access, principal, rawParams.tenant);
    } catch (err) {
      await deps.auditContext(request, principal).record({
        action: route.auditAction ?? 'access.denied',
        tenant: principal.tenant,
        target: rawParams.name ?? rawParams.id ?? `${route.method} ${route.url}`,
        outcome: 'denied',
        code: (err as CofferError).code,
      });
      throw err;
    }
    principals.set(request, principal);
  };
}

/**
 * The `charset` a content-type names, lower-cased and unquoted; undefined when it names none.
 * Several charset parameters: the first that is not UTF-8, so none slips past.
 */
export function declaredCharset(contentType: string): string | undefined {
  let found: string | undefined;
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (!isUtf8(value)) return value;
    found = value;
  }
  return found;
}

/** UTF-8 and its WHATWG label `utf8`. */
const isUtf8 = (charset: string) => charset === 'utf-8' || charset === 'utf8';

/**
 * JSON is UTF-8 (RFC 8259 §8.1) and the parser decodes it as such, so a body declared in
 * another charset would be read as something its sender did not mean: refused with 415 before
 * it is parsed. Requests without a body are not concerned.
 */
// Callback style, not async: it runs on every request with a body, and a promise per request is
// measurable on the reveal path.
const refuseForeignCharset: preParsingHookHandler = (request, _reply, payload, done) => {
  const type = request.headers['content-type'];
  if (type !== undefined && type.includes(';')) {
    const length = request.headers['content-length'];
    const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const charset = hasBody ? declaredCharset(type) : undefined;
    if (charset !== undefined && !isUtf8(charset)) return done(new HttpError('UNSUPPORTED_MEDIA_TYPE', 'Send request bodies as application/json in UTF-8 (charset=utf-8 or none).'), payload);
  }
  done(null, payload);
};

export interface RegisterOptions {
  /** Check every answer against the contract (tests): a mismatch becomes a 500 naming it. */
  checkAnswers: boolean;
}

/** The operation a matched request is for (the error handler checks error answers against it). */
export function operationOf(request: FastifyRequest): AnyOperation | undefined {
  return (request.routeOptions.config as { operation?: AnyOperation } | undefined)?.operation;
}

export function registerRoute(app: FastifyInstance, deps: RouteDeps, def: RouteDefinition<any, any, any, any>, options: RegisterOptions): void {
  const op = def.operation;
  const success = op.success;
  app.route({
    method: def.method,
    url: def.url,
    config: { operation: op },
    // The success answer is written through the contract: its declared fields and no others.
    ...(success.kind === 'json' ? { schema: { response: { [success.status]: answerSchema(op) } }, serializerCompiler: () => answerSerializer(op) } : {}),
    onRequest: guard(deps, def),
    preParsing: refuseForeignCharset,
    handler: async (request, reply) => {
      const principal = principals.get(request);
      if (def.access.kind !== 'public' && !principal) throw new CofferError('UNAUTHENTICATED', 'Send an API token as `Authorization: Bearer cfr_…`.');
      const params = parse(def.params, request.params, 'params');
      const query = parse(def.query, request.query, 'query');
      // No body, or an empty one, is `{}` where the body is optional; where it is required, a
      // missing body is refused as the document says.
      if (def.body && request.body === undefined && op.bodyRequired !== false) throw new HttpError('VALIDATION_FAILED', 'body: required (send a JSON object)');
      const body = parse(def.body, request.body ?? {}, 'body');
      const audit = deps.auditContext(request, principal);
      // The vault acting as this caller: core audits the request's changes and reveals with its actor.
      const coffer = deps.coffer.as(audit.actor);
      const result = await def.handler({ params, query, body, principal, audit, coffer, request, reply, publicUrl: deps.publicUrl(request) });
      if (success.kind === 'redirect') return reply.redirect((result as Redirect).redirect, success.status);
      // A handler may answer with another documented status (readiness: 503).
      if (reply.statusCode === 200) reply.code(success.status);
      if (options.checkAnswers) {
        const problem = checkAnswer(op, reply.statusCode, result);
        if (problem) throw new ContractViolation(op, problem);
      }
      return result;
    },
  });
}
