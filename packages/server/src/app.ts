/**
 * `buildApp(deps)`: the Fastify application, without listening. Tests use `app.inject()`;
 * `startServer` listens. Routes are plain definitions (see route.ts), one module per resource.
 */
import { randomUUID } from 'node:crypto';
import { CofferError, type Coffer } from '@coffer/core';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type FastifyRequest } from 'fastify';
import { createAuthenticator, RateLimitedError, type AuthOptions } from './auth.js';
import { auditContextFor } from './audit-context.js';
import { HTTP_STATUS, HttpError, type ServerErrorCode } from './http-errors.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startAuditCheckpointJob, type AuditCheckpointJobOptions } from './jobs/audit-checkpoints.js';
import { OPERATIONS, operations } from '@coffer/contract';
import { checkAnswersByDefault, checkError, ContractViolation } from './contract-check.js';
import { openApiDocument } from './openapi.js';
import { registerDocs } from './docs/index.js';
import { implement, operationOf, registerRoute, type RouteDefinition } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { connectionRoutes } from './routes/connections.js';
import { connectRoutes } from './routes/connect.js';
import { providerRoutes } from './routes/providers.js';
import { keyRoutes } from './routes/keys.js';
import { secretRoutes } from './routes/secrets.js';
import { tenantRoutes } from './routes/tenants.js';
import { tokenRoutes } from './routes/tokens.js';

export const API_VERSION = '0.1.0';

export const ROUTES: RouteDefinition<any, any, any, any>[] = [...tenantRoutes, ...tokenRoutes, ...secretRoutes, ...keyRoutes, ...auditRoutes, ...providerRoutes, ...connectionRoutes, ...connectRoutes];

export interface AppDeps {
  coffer: Coffer;
  /** A pino logger (or `false` for none). Request bodies and headers are never logged. */
  logger?: FastifyBaseLogger | false;
  metrics?: Metrics;
  auth?: Partial<AuthOptions>;
  /** Trust X-Forwarded-For from a proxy in front. Default false. */
  trustProxy?: boolean;
  /**
   * The service's public base URL (COFFER_PUBLIC_URL): connect links and the OAuth redirect URI
   * are built on it. Without it, the address the request came to is used.
   */
  publicUrl?: string | (() => string);
  /**
   * Signed audit checkpoints written to a directory (COFFER_AUDIT_CHECKPOINT_DIR) every N events
   * or interval, and once more at close; `POST /v1/audit/checkpoints` writes there too.
   */
  auditCheckpoints?: AuditCheckpointJobOptions;
  /**
   * Check every answer against the API contract before it is sent; a mismatch becomes a 500
   * naming it. Default: on when COFFER_CHECK_ANSWERS=1 (the test configuration sets it).
   */
  checkAnswers?: boolean;
}

const MAX_PARAM_LENGTH = 400;

/** Values are capped at 64 KiB; JSON escaping can at most sextuple that. */
const BODY_LIMIT = 512 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    loggerInstance: deps.logger === false || deps.logger === undefined ? undefined : deps.logger,
    logger: deps.logger === undefined ? false : undefined,
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.trustProxy ?? false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Fastify's own request lines are off; the onResponse hook logs route templates instead of URLs.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests that arrive while the server closes get SHUTTING_DOWN in Coffer's error shape
    // (the onRequest hook below), not Fastify's own 503 body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Names are at most 128 characters; percent-encoded that can be 384.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors raised by the router itself, before any route runs: same body shape as the rest.
    frameworkErrors: (err: { code?: string }, _request: unknown, reply: { code(n: number): { header(k: string, v: string): { send(b: unknown): void } } }) => {
      const known: Record<string, [ServerErrorCode, string]> = {
        FST_ERR_BAD_URL: ['BAD_URL', 'The URL is not valid (malformed percent-encoding).'],
        FST_ERR_MAX_PARAM_LENGTH: ['URI_TOO_LONG', `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`],
      };
      const [code, message] = known[err.code ?? ''] ?? ['BAD_REQUEST', 'The request is malformed.'];
      metrics.errors.inc({ code });
      reply.code(HTTP_STATUS[code]).header('x-content-type-options', 'nosniff').send({ error: { code, message } });
    },
  } as never) as unknown as FastifyInstance;

  const { authenticate, sharedLimiter } = createAuthenticator(deps.coffer, metrics, {
    failuresPerWindow: deps.auth?.failuresPerWindow ?? 10,
    windowSeconds: deps.auth?.windowSeconds ?? 60,
    ...(deps.auth?.redis ? { redis: deps.auth.redis } : {}),
    ...(deps.auth?.redisKeyPrefix ? { redisKeyPrefix: deps.auth.redisKeyPrefix } : {}),
  });
  if (deps.auth?.redis) {
    const redis = deps.auth.redis;
    metrics.sharedLimiterUp(() => redis.status === 'ready');
  }

  // Requests routed after close() begins are refused by each route's guard (SHUTTING_DOWN).
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  // No response is to be sniffed into something else (an error body echoing a path as HTML).
  // A callback hook, not an async one: it runs on every response, reveals included.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    if (route.endsWith('/reveal')) metrics.reveals.inc({ outcome: reply.statusCode === 200 ? 'success' : 'failure' });
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  const checkAnswers = deps.checkAnswers ?? checkAnswersByDefault();
  app.setErrorHandler((err: unknown, request, reply) => {
    let { code, message, status } = describeError(err);
    const op = operationOf(request);
    const problem = checkAnswers && op && !(err instanceof ContractViolation) ? checkError(op, status, code) : undefined;
    if (err instanceof ContractViolation || problem) {
      // Check mode only (tests): the message names the operation and what broke the contract, never a value.
      ({ code, status } = { code: 'INTERNAL', status: 500 });
      message = err instanceof ContractViolation ? err.message : `The answer of ${op!.operationId} breaks the API contract: ${problem} (${message})`;
      request.log.error({ reqId: request.id, contract: message }, 'answer breaks the API contract');
    }
    metrics.errors.inc({ code });
    if (status >= 500 && code === 'INTERNAL') request.log.error({ err, reqId: request.id }, 'unexpected error');
    if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    reply.code(status).send({ error: { code, message, ...casDetails(err, code) } });
  });

  app.setNotFoundHandler((request, reply) => {
    metrics.errors.inc({ code: 'NOT_FOUND' });
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.` } });
  });

  const publicUrl = (request: FastifyRequest) => {
    const configured = typeof deps.publicUrl === 'function' ? deps.publicUrl() : deps.publicUrl;
    return (configured ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
  };
  const routeDeps = {
    coffer: deps.coffer,
    authenticate,
    publicUrl,
    auditContext: (request: Parameters<typeof auditContextFor>[1], principal: Parameters<typeof auditContextFor>[2]) => auditContextFor(deps.coffer, request, principal),
    closing: () => closing,
  };

  // JSON bodies: an empty body is no body (an operation whose body is optional takes it as
  // `{}`; one whose body is required then names the missing fields). No other media type is
  // parsed, so a text/plain body gets 415, not a string where an object was expected.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') return done(null, undefined);
    parseJson(request, text, done);
  });

  const routes = [...ROUTES, ...serviceRoutes(deps, metrics, sharedLimiter)];
  for (const def of routes) registerRoute(app, routeDeps, def, { checkAnswers });
  // Every operation of the contract is served, once.
  const served = new Set(routes.map((r) => r.operation.operationId));
  const missing = OPERATIONS.filter((op) => !served.has(op.operationId)).map((op) => op.operationId);
  if (missing.length > 0) throw new Error(`operations without a route: ${missing.join(', ')}`);

  const openapi = openApiDocument(API_VERSION, typeof deps.publicUrl === 'string' ? deps.publicUrl : undefined);
  app.get('/openapi.json', async () => openapi);
  registerDocs(app, openapi);

  if (deps.auditCheckpoints) startAuditCheckpointJob(app, deps.coffer, metrics.registry, deps.auditCheckpoints);
  return app;
}

/**
 * Liveness, readiness and metrics: no tenant data. Readiness answers 503 `unavailable` when the
 * vault or its database is down. Metrics are service-wide numbers, no tenant's: an admin or
 * metrics token (a scraper can also be given a listener of its own, COFFER_METRICS_PORT).
 */
function serviceRoutes(deps: AppDeps, metrics: Metrics, sharedLimiter: () => Promise<string | undefined>): RouteDefinition<any, any, any, any>[] {
  const op = operations.service;
  return [
    implement(op.getHealth, async () => ({ status: 'ok' as const })),
    implement(op.getReadiness, async ({ reply }) => {
      try {
        await deps.coffer.ready();
      } catch {
        reply.code(503);
        return { status: 'unavailable' as const };
      }
      // The shared failure counters are a refinement: without Redis each replica still limits
      // guessing on its own. So a Redis outage reports `degraded` with 200, and a load balancer
      // keeps the fleet in service; alert on the body or on coffer_auth_limiter_shared_up.
      const redis = await sharedLimiter();
      // SQLite: change events held in the outbox because moving them into the chain failed. They
      // are durable and move with the next write, so the replica keeps serving, reported degraded.
      const auditOutbox = await deps.coffer.audit.pendingOutbox();
      const checks = { ...(redis !== undefined ? { redis } : {}), ...(auditOutbox > 0 ? { auditOutbox } : {}) };
      const degraded = (redis !== undefined && redis !== 'ok') || auditOutbox > 0;
      return Object.keys(checks).length === 0 ? { status: 'ready' as const } : { status: degraded ? ('degraded' as const) : ('ready' as const), checks };
    }),
    implement(op.getMetrics, async ({ reply }) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    }),
  ];
}

/** `CAS_MISMATCH` carries the secret's current version, for a client to re-read and retry. */
function casDetails(err: unknown, code: string): { currentVersion?: number } {
  if (code !== 'CAS_MISMATCH' || !(err instanceof CofferError)) return {};
  const current = err.details?.current;
  return typeof current === 'number' ? { currentVersion: current } : {};
}

/**
 * A listener that serves `GET /metrics` and nothing else, without a token, for a Prometheus
 * scraper (COFFER_METRICS_HOST/PORT). Meant for a loopback or private address: whoever can
 * reach it reads the metrics (which name no tenant, secret or value).
 */
export async function buildMetricsApp(metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true, return503OnClosing: true });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'This listener serves GET /metrics only.' } });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

/** Maps any error to a stable code, a safe message and a status. Never a stack trace. */
export function describeError(err: unknown): { code: string; message: string; status: number } {
  if (err instanceof CofferError) return { code: err.code, message: err.message, status: HTTP_STATUS[err.code] };
  if (err instanceof HttpError) return { code: err.code, message: err.message, status: HTTP_STATUS[err.code] };
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'INVALID_JSON', message: 'The request body is not valid JSON.', status: 400 };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'BODY_TOO_LARGE', message: `Request bodies are limited to ${BODY_LIMIT} bytes.`, status: 413 };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send request bodies as application/json.', status: 415 };
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { code: 'BAD_REQUEST', message: 'The request is malformed.', status: HTTP_STATUS.BAD_REQUEST };
  }
  if (e instanceof SyntaxError) return { code: 'INVALID_JSON', message: 'The request body is not valid JSON.', status: 400 };
  return { code: 'INTERNAL', message: 'Internal error; the server log has the details.', status: 500 };
}
