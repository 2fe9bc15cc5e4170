/**
 * A connection made by the legacy import leads back to its source row over HTTP (issue 10): the
 * API and the SDK show its `importKey`; a connection made otherwise has null.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { hex, startTestServer, type TestServer } from './support.js';

forEachBackend('connection import key over HTTP', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend());
    await server.admin.tenants.create('legacy');
  });
  afterAll(async () => server?.close());

  it('GET and list show the legacy key of an imported connection, null for others', async () => {
    const key = `crm-${hex(4)}`;
    const [result] = await server.coffer.connections.importBatch([{ row: 1, key, tenant: 'legacy', provider: 'takealot', config: {}, credentials: { api_key: `tk_${hex(8)}` } }], {
      dryRun: false,
      knownTenants: new Set(['legacy']),
      createTenants: false,
    });
    expect(result).toMatchObject({ outcome: 'imported', connectionId: expect.stringMatching(/^con_/) });
    const id = (result as { connectionId: string }).connectionId;
    const plain = await server.admin.connections.create('legacy', { provider: 'takealot', credentials: { api_key: `tk_${hex(8)}` } });

    expect(await server.admin.connections.get('legacy', id)).toMatchObject({ id, importKey: key });
    const raw = await server.request('GET', `/v1/tenants/legacy/connections/${id}`, { token: server.adminToken });
    expect(JSON.parse(raw.text)).toMatchObject({ importKey: key });
    const listed = await server.admin.connections.list('legacy');
    expect(Object.fromEntries(listed.items.map((c) => [c.id, c.importKey]))).toEqual({ [id]: key, [plain.id]: null });
  });
});
