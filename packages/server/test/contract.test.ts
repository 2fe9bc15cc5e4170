/**
 * The API contract, end to end: every operation is served and documented, the document tells
 * the truth about what the server does (a redirect, an optional body, 415 for text, the fields
 * a delete answers), and check mode (on in every test) turns an answer that breaks the contract
 * into a failure naming it.
 */
import { ERROR_STATUS, errorCodesOf, operations, OPERATIONS } from '@coffer/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { buildApp, ROUTES } from '../src/app.js';
import { checkAnswer, checkError } from '../src/contract-check.js';
import { expectErrorBody, hex, startTestServer, type TestServer } from './support.js';

describe('check mode', () => {
  const reveal = operations.secrets.revealSecret;

  it('is on in the tests', () => {
    expect(process.env.COFFER_CHECK_ANSWERS).toBe('1');
  });

  it('accepts a documented answer and names what breaks one: a wrong type, an extra field, a status', () => {
    const good = { name: 'n', type: 'api_key', version: 1, value: 'v' };
    expect(checkAnswer(reveal, 200, good)).toBeUndefined();
    expect(checkAnswer(reveal, 200, { ...good, version: '1' })).toMatch(/^version: /);
    expect(checkAnswer(reveal, 200, { ...good, type: 'certificate' })).toMatch(/^type: /);
    expect(checkAnswer(reveal, 200, { ...good, keyId: 'acme/v1' })).toBe('keyId is not in the documented shape');
    expect(checkAnswer(reveal, 201, good)).toBe('status 201 is not documented');
    const tenants = operations.tenants.listTenants;
    expect(checkAnswer(tenants, 200, { items: [{ id: 't', name: 't', createdAt: new Date(), secretCount: 0 }] })).toMatch(/^items\.0\.createdAt: /);
    expect(checkAnswer(tenants, 200, { items: [{ id: 't', name: 't', createdAt: '2026-11-27T00:00:00.000Z', secretCount: 0, rootKey: 'x' }] })).toBe('items[0].rootKey is not in the documented shape');
  });

  it('names an error code the operation does not document, or answers with the wrong status', () => {
    expect(checkError(reveal, 404, 'SECRET_NOT_FOUND')).toBeUndefined();
    expect(checkError(reveal, 409, 'TENANT_EXISTS')).toMatch(/not documented on the operation/);
    expect(checkError(reveal, 400, 'SECRET_NOT_FOUND')).toMatch(/answered with 400, not its 404/);
    expect(checkError(reveal, 500, 'NO_SUCH_CODE')).toMatch(/not in the contract/);
  });
});

describe('the contract', () => {
  it('has one route per operation, and every operation documents every code it lists, at its status', () => {
    const ids = OPERATIONS.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of ROUTES) expect(ids).toContain(r.operation.operationId);
    for (const op of OPERATIONS) for (const code of errorCodesOf(op)) expect(ERROR_STATUS[code], `${op.operationId} ${code}`).toBeGreaterThanOrEqual(400);
  });
});

forEachBackend('the OpenAPI document tells the truth', (backend) => {
  let s: TestServer;
  let doc: any;
  const T = `zqc${hex(4)}`;
  beforeAll(async () => {
    s = await startTestServer(backend());
    doc = (await s.request('GET', '/openapi.json')).json;
    await s.admin.tenants.create(T);
    await s.admin.secrets.put(T, 'api-key', 'sk_live_contract_0123456789');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('documents every operation with an operationId, a tag, a summary and named schemas', () => {
    const found: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(methods)) {
        found.push(op.operationId);
        expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(doc.tags.map((t: { name: string }) => t.name)).toContain(op.tags[0]);
        if (op.requestBody) expect(op.requestBody.content['application/json'].schema.$ref, `${method} ${path}`).toMatch(/^#\/components\/schemas\//);
      }
    }
    expect(found.sort()).toEqual(OPERATIONS.map((op) => op.operationId).sort());
    expect(doc.servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    expect(doc.components.schemas.ErrorBody.properties.error.properties.code.$ref).toBe('#/components/schemas/ErrorCode');
    expect(doc.components.schemas.ErrorCode.enum).toEqual(Object.keys(ERROR_STATUS));
    expect(doc.components.schemas.Tenant.properties.createdAt).toMatchObject({ type: 'string', format: 'date-time' });
    // Typed shapes, not free-form objects.
    expect(doc.components.schemas.KeyStatus.properties.root.items.$ref).toBe('#/components/schemas/RootKeyStatus');
    expect(doc.components.schemas.Provider.properties.api.$ref).toBe('#/components/schemas/ProviderApi');
  });

  it('lists on each operation every error code it answers, with the scope it needs as data', () => {
    const reveal = doc.paths['/v1/tenants/{tenant}/secrets/{name}/reveal'].post;
    expect(reveal.security).toEqual([{ bearer: ['secrets:reveal'] }]);
    expect(reveal['x-coffer-access']).toEqual({ kind: 'tenant', scope: 'secrets:reveal' });
    expect(reveal.responses['404']['x-coffer-error-codes']).toEqual(['SECRET_NOT_FOUND', 'SECRET_VERSION_NOT_FOUND', 'TENANT_NOT_FOUND']);
    expect(reveal.responses['415']['x-coffer-error-codes']).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    expect(reveal.responses['400']['x-coffer-error-codes']).toEqual(expect.arrayContaining(['INVALID_JSON', 'VALIDATION_FAILED', 'INVALID_ARGUMENT']));
    expect(doc.paths['/v1/tokens'].post.responses['400']['x-coffer-error-codes']).toEqual(expect.arrayContaining(['SCOPE_INVALID', 'TENANT_ID_INVALID']));
    expect(doc.paths['/v1/tenants/{tenant}/secrets/{name}'].put.responses['400']['x-coffer-error-codes']).toEqual(expect.arrayContaining(['METADATA_INVALID']));
    expect(doc.paths['/v1/keys'].get.security).toEqual([{ bearer: ['admin'] }]);
    expect(doc.paths['/metrics'].get.security).toEqual([{ bearer: ['metrics:read'] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('a connect link is a 302 to the provider, as documented', async () => {
    const op = doc.paths['/v1/connect/{link}'].get;
    expect(Object.keys(op.responses).filter((status) => status.startsWith('2') || status.startsWith('3'))).toEqual(['302']);
    expect(op.responses['302'].headers.Location).toBeDefined();
    expectErrorBody(await s.request('GET', `/v1/connect/${'x'.repeat(43)}`), 400, 'CONNECT_SESSION_INVALID');
  });

  it("a reveal's body is optional: none, an empty body with a JSON content type, or {}", async () => {
    expect(doc.paths['/v1/tenants/{tenant}/secrets/{name}/reveal'].post.requestBody.required).toBe(false);
    const path = `/v1/tenants/${T}/secrets/api-key/reveal`;
    const none = await s.request('POST', path, { token: s.adminToken });
    const empty = await s.request('POST', path, { token: s.adminToken, rawBody: '', headers: { 'content-type': 'application/json' } });
    const object = await s.request('POST', path, { token: s.adminToken, body: {} });
    for (const res of [none, empty, object]) {
      expect(res.status, res.text).toBe(200);
      expect(res.json.value).toBe('sk_live_contract_0123456789');
    }
    // Where the body is required, an empty one names the missing field (not a JSON error).
    const put = await s.request('PUT', `/v1/tenants/${T}/secrets/other`, { token: s.adminToken, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(expectErrorBody(put, 400, 'VALIDATION_FAILED')).toMatch(/^body: required/);
  });

  it('a text/plain body is 415, even when it holds JSON', async () => {
    for (const rawBody of ['sk_live_plain', JSON.stringify({ value: 'sk_live_plain' })]) {
      const res = await s.request('PUT', `/v1/tenants/${T}/secrets/plain`, { token: s.adminToken, rawBody, headers: { 'content-type': 'text/plain' } });
      expectErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.text).not.toContain('sk_live_plain');
    }
    expectErrorBody(await s.request('POST', `/v1/tenants/${T}/secrets/api-key/reveal`, { token: s.adminToken, rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('deleting a connection answers its revocation, as documented', async () => {
    expect(doc.components.schemas.DeletedConnection.properties.revocation.enum).toEqual(['revoked', 'not_supported', 'failed']);
    const created = await s.admin.connections.create(T, { provider: 'takealot', credentials: { api_key: 'tk_contract_0123456789' } });
    const deleted = await s.admin.connections.delete(T, created.id);
    expect(deleted).toMatchObject({ id: created.id, revocation: 'not_supported' });
  });

  it('documents /healthz and /readyz with their answers, 503 included', async () => {
    expect(doc.paths['/healthz'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Health');
    const ready = doc.paths['/readyz'].get.responses;
    expect(ready['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Readiness');
    expect(ready['503'].content['application/json'].schema.oneOf).toEqual([{ $ref: '#/components/schemas/Readiness' }, { $ref: '#/components/schemas/ErrorBody' }]);
    expect((await s.request('GET', '/readyz')).json).toEqual({ status: 'ready' });
  });

  it('answers are open to new fields (requests are not), and declare the headers they carry', () => {
    const schemas = doc.components.schemas;
    for (const id of ['Tenant', 'RevealedSecret', 'Connection', 'ErrorBody', 'KeyStatus']) expect(schemas[id].additionalProperties, id).toBeUndefined();
    for (const id of ['PutSecretRequest', 'RevealRequest', 'CreateTokenRequest']) expect(schemas[id].additionalProperties, id).toBe(false);
    const reveal = doc.paths['/v1/tenants/{tenant}/secrets/{name}/reveal'].post.responses;
    expect(reveal['200'].headers['cache-control'].schema).toEqual({ type: 'string', const: 'no-store' });
    expect(reveal['401'].headers['WWW-Authenticate']).toBeDefined();
    expect(reveal['429'].headers['Retry-After']).toBeDefined();
  });

  it('a body the operation requires must be sent; an optional one may be left out', async () => {
    expect(doc.paths['/v1/tenants/{tenant}/connections/{id}'].patch.requestBody.required).toBe(true);
    const res = await s.request('PATCH', `/v1/tenants/${T}/connections/nope`, { token: s.adminToken });
    expect(expectErrorBody(res, 400, 'VALIDATION_FAILED')).toMatch(/^body: required/);
  });

  it('a request that arrives while the server closes gets SHUTTING_DOWN in the error shape', async () => {
    const app = await buildApp({ coffer: s.coffer, logger: false });
    // Hold close() in its first phase, as a drain in progress would, to send a request then.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.addHook('preClose', async () => held);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await fetch(`${url}/v1/tenants`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    release();
    await closed;
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({ error: { code: 'SHUTTING_DOWN', message: expect.any(String) } });
  });

  it('answers carry only the fields the contract declares: stripped in production, a named failure in check mode', async () => {
    const CANARY = 'zq-undeclared-canary-5f1e';
    const providers = s.coffer.providers;
    const list = providers.list;
    // Core starts returning a field the contract does not declare (a provider's client secret, say).
    providers.list = () => list.call(providers).map((e) => ({ ...e, definition: { ...e.definition, clientSecret: CANARY } }));
    try {
      for (const checkAnswers of [false, true]) {
        const app = await buildApp({ coffer: s.coffer, logger: false, checkAnswers });
        try {
          const res = await app.inject({ method: 'GET', url: '/v1/providers', headers: { authorization: `Bearer ${s.adminToken}` } });
          expect(res.body).not.toContain(CANARY);
          if (checkAnswers) {
            expect(res.statusCode).toBe(500);
            expect(res.json().error.message).toMatch(/listProviders breaks the API contract: items\[0\]\.clientSecret is not in the documented shape/);
          } else {
            expect(res.statusCode).toBe(200);
            expect(res.json().items.length).toBeGreaterThan(5);
            expect(Object.keys(res.json().items[0])).not.toContain('clientSecret');
          }
        } finally {
          await app.close();
        }
      }
    } finally {
      providers.list = list;
    }
  });

  it('a CAS_MISMATCH carries the current version, and the document says so', async () => {
    expect(doc.components.schemas.ErrorBody.properties.error.properties.currentVersion).toMatchObject({ type: 'integer' });
    const res = await s.request('PUT', `/v1/tenants/${T}/secrets/api-key`, { token: s.adminToken, body: { value: 'sk_live_next', cas: 7 } });
    expectErrorBody(res, 409, 'CAS_MISMATCH');
    expect(res.json.error.currentVersion).toBe(1);
  });
});
