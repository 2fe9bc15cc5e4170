/**
 * `GET /v1/keys` lists the audit key versions, and says whether a root rotation is running or was interrupted (issue 8 §1): null
 * when none, and the recorded state, owner and keys while one waits for the next start.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { startTestServer, type TestServer } from './support.js';

forEachBackend('key status over the API', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend());
  });
  afterAll(async () => {
    await s?.close();
  });

  it('reports rotation: null when no root rotation is in progress, as the core does', async () => {
    const status = await s.admin.keys.status();
    expect(status.rotation).toBeNull();
    expect(status).toMatchObject({ rootKeyProvider: expect.any(String), root: [expect.objectContaining({ state: 'current' })] });
    expect(Object.keys(status).sort()).toEqual(Object.keys(await s.coffer.keys.status()).sort());
  });

  it('lists the audit key versions (never a key): the current one, its root key and where keyed events start', async () => {
    const status = await s.admin.keys.status();
    const root = status.root.find((r) => r.state === 'current')!;
    expect(status.audit).toEqual([{ version: 1, current: true, rootKeyId: root.id, firstSeq: expect.any(Number), createdAt: expect.any(String) }]);
    // Nothing in the answer is long enough to be key material.
    expect(JSON.stringify(status.audit)).not.toMatch(/[A-Za-z0-9+/=]{40,}/);
  });
});
