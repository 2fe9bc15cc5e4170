/**
 * "Refresh now" through the API (issue 10): `POST …/connections/{id}/refresh` sends a refresh
 * request to the provider even when the token is far from expiry, once for concurrent callers,
 * answers with the new `expiresAt`, and is recorded with the calling token as actor. The
 * provider is the core suites' token stand-in on loopback, which counts the grants it receives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoffer, type Coffer } from '@coffer/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { startTokenStandIn, type TokenStandIn } from '../../core/test/support/token-standin.js';
import { hex, startTestServer, type TestServer } from './support.js';

forEachBackend('refresh now through the API', (backend) => {
  let s: TestServer;
  let coffer: Coffer;
  let standIn: TokenStandIn;
  let dir: string;
  let writer = '';
  let writerId = '';
  const T = `zqrn-${hex(3)}`;

  beforeAll(async () => {
    standIn = await startTokenStandIn();
    dir = mkdtempSync(join(tmpdir(), 'coffer-zq-refresh-now-'));
    writeFileSync(
      join(dir, 'zq-rn.json'),
      JSON.stringify({ id: 'zq-rn', name: 'ZQ refresh now', auth: { mode: 'oauth2', oauth: { authorizationUrl: `${standIn.url}/authorize`, tokenUrl: `${standIn.url}/token` } }, api: { baseUrl: standIn.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } }),
    );
    coffer = await createCoffer({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl, tokenCacheMs: 0, providersDir: dir, outboundAllow: ['127.0.0.1'] });
    s = await startTestServer(backend(), { coffer });
    await s.admin.tenants.create(T);
    await coffer.secrets.put(T, 'oauth-client.zq-rn', { client_id: standIn.client.id, client_secret: standIn.client.secret });
    const created = await s.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['connections:read', 'connections:write'] });
    writer = created.token;
    writerId = created.id;
  });
  afterAll(async () => {
    await s?.close();
    await coffer?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refreshes at the provider now, once for concurrent callers, and answers with the new expiry', async () => {
    // A token valid for another hour: nothing is due.
    const id = await coffer.connections.storeAuthorization(T, coffer.providers.get('zq-rn'), {
      connectionId: null,
      displayName: null,
      config: {},
      tokens: { access_token: `at-${hex()}`, token_type: 'Bearer', refresh_token: `rt-${hex()}`, expires_at: Date.now() + 3_600_000 },
      onCommit: async () => {},
    });
    const before = await s.client(writer).connections.get(T, id);
    const seen = standIn.requests.length;
    await new Promise((r) => setTimeout(r, 5)); // a new expiry is a later one
    const answers = await Promise.all(Array.from({ length: 5 }, () => s.request('POST', `/v1/tenants/${T}/connections/${id}/refresh`, { token: writer })));
    expect(standIn.requests.slice(seen)).toEqual(['refresh_token']);
    const bodies = answers.map((a) => {
      expect(a.status, a.text).toBe(200);
      return JSON.parse(a.text) as { expiresAt: string; lastRefreshedAt: string; status: string };
    });
    expect(new Set(bodies.map((b) => b.expiresAt)).size).toBe(1);
    expect(Date.parse(bodies[0]!.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt!));
    expect(bodies[0]).toMatchObject({ status: 'active' });
    const events = (await coffer.audit.list({ tenant: T, action: 'connection.refresh' })).items.filter((e) => e.target === id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success' });
    expect(events[0]!.actor).toContain(writerId);
  });
});
