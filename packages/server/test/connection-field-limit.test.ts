/**
 * A credential field may be as long as its secret allows (issue 10): the whole credentials value
 * is at most 64 KiB, not each field 8,192 characters. Over HTTP, through the SDK, at the
 * boundary on create and on update; config fields keep their 8,192-character cap.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_VALUE_BYTES } from '@coffer/core';
import { forEachBackend } from '../../core/test/support/backends.js';
import { expectApiError, startTestServer, type TestServer } from './support.js';

/** {"api_key":"…"}: 14 bytes around the one field. */
const FITS = 'k'.repeat(MAX_VALUE_BYTES - 14);
const ONE_BYTE_MORE = 'k'.repeat(MAX_VALUE_BYTES - 13);

forEachBackend('credential field limit over HTTP', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend());
    await server.admin.tenants.create('limits');
  });
  afterAll(async () => server?.close());

  it('a credential filling the whole 64 KiB is stored and read back; one byte more is 413 SECRET_VALUE_TOO_LARGE', async () => {
    const created = await server.admin.connections.create('limits', { provider: 'takealot', credentials: { api_key: FITS } });
    expect(created.importKey).toBeNull();
    const creds = await server.admin.connections.getCredentials('limits', created.id);
    expect(creds.values.api_key).toBe(FITS);
    await expectApiError(server.admin.connections.create('limits', { provider: 'takealot', credentials: { api_key: ONE_BYTE_MORE } }), 413, 'SECRET_VALUE_TOO_LARGE');

    // The same limit on update: a new version of the credentials.
    const updated = await server.admin.connections.update('limits', created.id, { credentials: { api_key: `x${FITS.slice(1)}` } });
    expect(updated.id).toBe(created.id);
    await expectApiError(server.admin.connections.update('limits', created.id, { credentials: { api_key: ONE_BYTE_MORE } }), 413, 'SECRET_VALUE_TOO_LARGE');
  });

  it('config fields keep their 8,192-character cap', async () => {
    await expectApiError(
      server.admin.connections.create('limits', { provider: 'generic-api-key', config: { api_host: `${'h'.repeat(8193)}.example.com` }, credentials: { api_key: 'k' } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});
