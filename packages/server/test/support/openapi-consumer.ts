/**
 * An API consumer written only against the types openapi-typescript generates from the served
 * document, with openapi-fetch, the way an outside team would use Coffer. It is not part of the
 * suite's own compilation: openapi-codegen.ts copies it into a temporary directory beside the
 * generated `openapi-consumer-paths.ts`, type-checks it in strict mode, transpiles it and runs it
 * against a real server.
 *
 * The `@ts-expect-error` lines are the proof that the types constrain anything: each must be an
 * error, or the compiler reports the directive as unused. They sit in a function nobody calls,
 * so no wrong request is ever sent.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './openapi-consumer-paths.js';

/** One answer the consumer received, for checking against the document afterwards. */
export interface Exchange {
  method: string;
  /** The path template (`/v1/tenants/{tenant}/secrets`), as openapi-fetch was called with it. */
  path: string;
  status: number;
  body: unknown;
}

/** The consumer's own view of the answers: assigning the generated types to it checks them too. */
export interface ConsumerResult {
  tenant: { id: string; name: string; createdAt: string };
  token: { id: string; kind: string; tenant: string | null; scopes: string[]; token: string };
  firstWrite: { name: string; version: number; createdAt: string };
  secondWrite: { version: number };
  listed: { names: string[]; nextCursor: string | null };
  revealedLatest: { name: string; version: number; value: unknown };
  revealedFirst: { version: number; value: unknown };
  missing: { status: number; code: string; message: string };
  casMismatch: { status: number; code: string; currentVersion: unknown };
  anonymous: { status: number; code: string };
  service: { health: string; readiness: string };
  keys: { rootKeyProvider: string; tenantKeyCount: number };
  providers: { ids: string[] };
  audit: { actions: string[] };
  exchanges: Exchange[];
}

type Outcome<D, E> = { data?: D; error?: E; response: Response };

/** The body of a success, or an error naming the call and what came back instead. */
function succeeded<D, E>(outcome: Outcome<D, E>, call: string): D {
  if (outcome.data === undefined) throw new Error(`${call}: ${outcome.response.status} ${JSON.stringify(outcome.error)}`);
  return outcome.data;
}

/** The body of a failure, or an error naming the call that should have failed. */
function failed<D, E>(outcome: Outcome<D, E>, call: string): E {
  if (outcome.error === undefined) throw new Error(`${call}: expected an error, got ${outcome.response.status} ${JSON.stringify(outcome.data)}`);
  return outcome.error;
}

export async function runConsumer(baseUrl: string, adminToken: string, tenantId: string): Promise<ConsumerResult> {
  const exchanges: Exchange[] = [];
  const recorder: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const text = await response.clone().text();
      exchanges.push({ method: request.method, path: schemaPath, status: response.status, body: text === '' ? undefined : JSON.parse(text) });
    },
  };
  const admin = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${adminToken}` } });
  admin.use(recorder);

  const tenant = succeeded(await admin.POST('/v1/tenants', { body: { id: tenantId, name: 'Consumer tenant' } }), 'createTenant');
  const token = succeeded(
    await admin.POST('/v1/tokens', {
      body: { kind: 'tenant', tenant: tenantId, scopes: ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read'], description: 'openapi consumer' },
    }),
    'createToken',
  );

  const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token.token}` } });
  api.use(recorder);
  const secret = { tenant: tenantId, name: 'stripe-key' };

  const firstWrite = succeeded(await api.PUT('/v1/tenants/{tenant}/secrets/{name}', { params: { path: secret }, body: { value: 'sk_test_consumer_one', type: 'api_key', cas: 0 } }), 'putSecret');
  const secondWrite = succeeded(await api.PUT('/v1/tenants/{tenant}/secrets/{name}', { params: { path: secret }, body: { value: 'sk_test_consumer_two', cas: 1 } }), 'putSecret cas 1');
  const listed = succeeded(await api.GET('/v1/tenants/{tenant}/secrets', { params: { path: { tenant: tenantId }, query: { limit: 10 } } }), 'listSecrets');

  // Reveal without a body (the current version) and with one (a given version).
  const revealedLatest = succeeded(await api.POST('/v1/tenants/{tenant}/secrets/{name}/reveal', { params: { path: secret } }), 'revealSecret');
  const revealedFirst = succeeded(await api.POST('/v1/tenants/{tenant}/secrets/{name}/reveal', { params: { path: secret }, body: { version: 1 } }), 'revealSecret v1');

  const missingOutcome = await api.POST('/v1/tenants/{tenant}/secrets/{name}/reveal', { params: { path: { tenant: tenantId, name: 'no-such-secret' } } });
  const missing = failed(missingOutcome, 'revealSecret missing');
  // @ts-expect-error error codes are an enum: a code the server never sends cannot be compared
  if (missing.error.code === 'NO_SUCH_CODE') throw new Error('unreachable');

  const casOutcome = await api.PUT('/v1/tenants/{tenant}/secrets/{name}', { params: { path: secret }, body: { value: 'sk_test_consumer_late', cas: 1 } });
  const cas = failed(casOutcome, 'putSecret stale cas').error;

  const tokenless = createClient<paths>({ baseUrl });
  tokenless.use(recorder);
  const anonymousOutcome = await tokenless.GET('/v1/tenants/{tenant}/secrets', { params: { path: { tenant: tenantId } } });
  const anonymous = failed(anonymousOutcome, 'listSecrets without a token');
  const health = succeeded(await tokenless.GET('/healthz'), 'health');
  const readiness = succeeded(await tokenless.GET('/readyz'), 'readiness');

  const keys = succeeded(await admin.GET('/v1/keys'), 'getKeyStatus');
  const providers = succeeded(await api.GET('/v1/providers'), 'listProviders');
  const audit = succeeded(await api.GET('/v1/tenants/{tenant}/audit', { params: { path: { tenant: tenantId }, query: { limit: 100 } } }), 'listAuditEvents');

  return {
    tenant: { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt },
    token: { id: token.id, kind: token.kind, tenant: token.tenant, scopes: token.scopes, token: token.token },
    firstWrite: { name: firstWrite.name, version: firstWrite.version, createdAt: firstWrite.createdAt },
    secondWrite: { version: secondWrite.version },
    listed: { names: listed.items.map((s) => s.name), nextCursor: listed.nextCursor },
    revealedLatest: { name: revealedLatest.name, version: revealedLatest.version, value: revealedLatest.value },
    revealedFirst: { version: revealedFirst.version, value: revealedFirst.value },
    missing: { status: missingOutcome.response.status, code: missing.error.code, message: missing.error.message },
    // `in` compiles whether the document declares currentVersion on this error or not.
    casMismatch: { status: casOutcome.response.status, code: cas.code, currentVersion: 'currentVersion' in cas ? cas.currentVersion : undefined },
    anonymous: { status: anonymousOutcome.response.status, code: anonymous.error.code },
    service: { health: health.status, readiness: readiness.status },
    keys: { rootKeyProvider: keys.rootKeyProvider, tenantKeyCount: keys.tenants.length },
    providers: { ids: providers.items.map((p) => p.id) },
    audit: { actions: audit.items.map((e) => e.action) },
    exchanges,
  };
}

/** Calls the generated types must refuse. Never called: only compiled. */
export function refusedByTheTypes(api: Client<paths>): void {
  // @ts-expect-error a tenant id is a string, not a number
  void api.GET('/v1/tenants/{tenant}/secrets', { params: { path: { tenant: 42 } } });
  // @ts-expect-error no such route
  void api.GET('/v1/no-such-route');
  // @ts-expect-error reveal is a POST, not a GET
  void api.GET('/v1/tenants/{tenant}/secrets/{name}/reveal', { params: { path: { tenant: 't', name: 'n' } } });
  // @ts-expect-error a token's scopes are named ones only
  void api.POST('/v1/tokens', { body: { kind: 'tenant', tenant: 't', scopes: ['secrets:everything'] } });
  // @ts-expect-error a write needs a value
  void api.PUT('/v1/tenants/{tenant}/secrets/{name}', { params: { path: { tenant: 't', name: 'n' } }, body: { cas: 0 } });
  // @ts-expect-error a version is a number
  void api.POST('/v1/tenants/{tenant}/secrets/{name}/reveal', { params: { path: { tenant: 't', name: 'n' } }, body: { version: 'latest' } });
}
