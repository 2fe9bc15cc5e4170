/**
 * The served OpenAPI document, used the way API consumers use it: Redocly's recommended lint,
 * the structure a client generator needs, and a real consumer program built from it
 * (openapi-typescript types, openapi-fetch calls, strict TypeScript) run against a real server
 * on SQLite and PostgreSQL, with every answer it received checked against the document by Ajv.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend, makeBackend, type Backend } from '../../core/test/support/backends.js';
import { hex, startTestServer, type TestServer } from './support.js';
import { buildConsumer, type ConsumerBuild } from './support/openapi-codegen.js';
import type { ConsumerResult } from './support/openapi-consumer.js';
import type { Json } from './support/openapi-document.js';
import { countByRule, describeFindings, lintOpenApi } from './support/openapi-lint.js';
import { responseValidator } from './support/openapi-responses.js';
import { structuralProblems } from './support/openapi-structure.js';

/** GET /openapi.json as any client fetches it. */
async function servedDocument(s: TestServer): Promise<Json> {
  const res = await s.request('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json.openapi).toMatch(/^3\.1\./);
  return res.json as Json;
}

describe('the served OpenAPI document, as tools read it', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let s: TestServer;
  let doc: Json;

  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    s = await startTestServer(backend);
    doc = await servedDocument(s);
  });
  afterAll(async () => {
    await s?.close();
    await backend?.dispose();
  });

  it("passes Redocly's recommended rules with no error", async () => {
    const findings = await lintOpenApi(doc);
    const warnings = findings.filter((f) => f.severity === 'warn');
    // The warnings are the lead's to-do list, not a failure: shown, counted by rule.
    console.log(`Redocly recommended: ${warnings.length} warning(s) ${JSON.stringify(countByRule(warnings))}\n${describeFindings(warnings)}`);
    const errors = findings.filter((f) => f.severity === 'error');
    expect(errors, describeFindings(errors)).toEqual([]);
  });

  it('gives a client generator unique operation names, a success and a 401 to type, resolvable refs and named schemas', () => {
    const problems = structuralProblems(doc);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

forEachBackend('a generated OpenAPI client', (backend) => {
  let s: TestServer;
  let build: ConsumerBuild;
  let doc: Json;
  const tenantId = `oa${hex(4)}`;
  let run: Promise<ConsumerResult> | undefined;
  /** The consumer's one run against this server, shared by the tests that look at its answers. */
  const consumerRun = () => (run ??= build.run(s.url, s.adminToken, tenantId));

  beforeAll(async () => {
    s = await startTestServer(backend());
    doc = await servedDocument(s);
    build = await buildConsumer(doc);
  });
  afterAll(async () => {
    build?.dispose();
    await s?.close();
  });

  it('type-checks the consumer against the generated types in strict mode, and the types refuse wrong calls', () => {
    expect(build.generatedTypes).toContain('export interface paths');
    // Unused @ts-expect-error directives show up here as TS2578: a wrong call the types let through.
    expect(build.diagnostics, build.diagnostics.join('\n')).toEqual([]);
  });

  it('gets the answers the API promises: tenant, token, writes, list, reveals, errors, keys, providers, audit, health', async () => {
    const result = await consumerRun();
    expect(result.tenant).toEqual({ id: tenantId, name: 'Consumer tenant', createdAt: expect.any(String) });
    expect(result.token).toEqual({ id: expect.any(String), kind: 'tenant', tenant: tenantId, scopes: ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read'], token: expect.stringMatching(/^cfr_/) });
    expect(result.firstWrite).toEqual({ name: 'stripe-key', version: 1, createdAt: expect.any(String) });
    expect(result.secondWrite).toEqual({ version: 2 });
    expect(result.listed).toEqual({ names: ['stripe-key'], nextCursor: null });
    expect(result.revealedLatest).toEqual({ name: 'stripe-key', version: 2, value: 'sk_test_consumer_two' });
    expect(result.revealedFirst).toEqual({ version: 1, value: 'sk_test_consumer_one' });
    expect(result.missing).toEqual({ status: 404, code: 'SECRET_NOT_FOUND', message: expect.any(String) });
    expect(result.anonymous).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(result.service).toEqual({ health: 'ok', readiness: 'ready' });
    expect(result.keys.rootKeyProvider).toEqual(expect.any(String));
    expect(result.keys.tenantKeyCount).toBeGreaterThanOrEqual(1);
    expect(result.providers.ids.length).toBeGreaterThan(0);
    expect(result.audit.actions).toEqual(expect.arrayContaining(['secret.write', 'secret.reveal']));
    // The CAS refusal says which version is current, so the caller can re-read and retry.
    expect(result.casMismatch).toEqual({ status: 409, code: 'CAS_MISMATCH', currentVersion: 2 });
  });

  it('received only answers the document describes (status and body, errors too)', async () => {
    const result = await consumerRun();
    const statuses = result.exchanges.map((e) => e.status);
    // Successes and each kind of error were exercised, so this checks error bodies as well.
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 401, 404, 409]));
    const validator = responseValidator(doc);
    const problems = result.exchanges.flatMap((e) => validator.problems(e));
    expect(problems, problems.join('\n')).toEqual([]);

    // The check has teeth: bodies the document does not allow are reported, success and error alike.
    const created = result.exchanges.find((e) => e.status === 201)!;
    expect(validator.problems({ ...created, body: { id: 42 } })).not.toEqual([]);
    const refused = result.exchanges.find((e) => e.status === 401)!;
    expect(validator.problems({ ...refused, body: { error: { code: 42 } } })).not.toEqual([]);
  });
});
